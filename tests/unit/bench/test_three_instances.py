"""Three instances on one budget: goodput counts each record once, and the targets."""

from __future__ import annotations

import pytest

from bench.three_instances import RECORDS, Drain, InstancesOnOneBudget, table


def drain(instances: int, *, writes: int = RECORDS, throttled: int = 600) -> Drain:
    return Drain(
        instances=instances,
        seconds=41.25,
        request_charge=165_000.0,
        throttled=throttled,
        items_written=writes,
        written_by_instance=[RECORDS // instances] * instances,
        handed_back=0,
        stored=RECORDS,
    )


def test_goodput_is_the_share_of_the_budget_that_stored_records() -> None:
    once = drain(3)
    assert once.charged == pytest.approx(1.0) and once.goodput == pytest.approx(1.0)
    rewritten = drain(3, writes=int(RECORDS * 1.25))  # a quarter of the writes were again
    assert rewritten.charged == pytest.approx(1.0) and rewritten.goodput == pytest.approx(0.8)


def test_the_targets_hold_goodput_429s_against_one_instance_and_nothing_lost() -> None:
    assert all(InstancesOnOneBudget(drain(1), drain(3, throttled=1_800)).checks().values())
    too_many = InstancesOnOneBudget(drain(1), drain(3, throttled=1_801))
    assert too_many.throttled_ratio > 3 and too_many.checks()["throttledAtMost3xOne"] is False
    wasteful = InstancesOnOneBudget(drain(1), drain(3, writes=int(RECORDS * 1.2)))
    assert wasteful.checks()["goodputAtLeast090"] is False
    assert "goodputAtLeast090: **not met**" in table(wasteful)

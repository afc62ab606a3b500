"""Interactive during import: what the import may use, its goodput, and the targets."""

from __future__ import annotations

import pytest

from bench.interactive import (
    LOW_PRIORITY,
    WAYS,
    DuringImport,
    InteractiveDuringImport,
    Phase,
    table,
)
from bench.interactive_load import Answer, Latencies


def users(p99_seconds: float, *, status: int = 200) -> Latencies:
    answers = [Answer(0.005, 200, 2.0)] * 99 + [Answer(p99_seconds, status, 2.0)]
    return Latencies(tuple(answers))


def during(way_index: int, answers: Latencies, *, charge: float) -> DuringImport:
    return DuringImport(
        way=WAYS[way_index],
        users=answers,
        users_throttled=0,
        import_seconds=10.0,
        import_charge=charge,
        import_throttled=5,
    )


def test_uncapped_the_import_may_use_all_the_users_leave() -> None:
    run = during(1, users(0.02), charge=39_000.0)  # the users spent 200 RU in 10 s
    assert run.may_use == pytest.approx(4_000 - 20)
    assert run.goodput == pytest.approx(39_000 / (3_980 * 10))


def test_in_its_bucket_the_import_may_use_the_bucket_s_share() -> None:
    run = during(2, users(0.02), charge=26_600.0)
    assert run.may_use == pytest.approx(2_800)
    assert run.goodput == pytest.approx(0.95)


def test_the_targets_are_those_of_the_low_priority_run() -> None:
    alone = Phase(users(0.010), throttled=0)
    good = InteractiveDuringImport(alone, [during(1, users(0.030), charge=38_000.0)])
    assert good.by_way(LOW_PRIORITY).way.settings == {"BULK_PRIORITY": "low"}
    assert all(good.checks().values())
    slow = InteractiveDuringImport(alone, [during(1, users(0.031), charge=38_000.0)])
    assert slow.checks()["p99Within3xAlone"] is False
    refused = InteractiveDuringImport(alone, [during(1, users(0.02, status=503), charge=38_000.0)])
    assert refused.checks()["no429Or503ToUsers"] is False
    starved = InteractiveDuringImport(alone, [during(1, users(0.02), charge=30_000.0)])
    assert starved.checks()["goodputAtLeast085"] is False
    assert "**not met**" in table(starved)

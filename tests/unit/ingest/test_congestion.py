from __future__ import annotations

import pytest

from shared.ingest.congestion import ConcurrencyLimit


def test_the_window_starts_at_its_initial_size() -> None:
    assert ConcurrencyLimit(initial=2, maximum=8).slots == 2


def test_before_the_first_throttle_each_success_adds_a_slot() -> None:
    limit = ConcurrencyLimit(initial=1, maximum=64)
    for _ in range(7):
        limit.on_success()
    assert limit.slots == 8


def test_after_a_throttle_successes_add_about_one_slot_per_window() -> None:
    limit = ConcurrencyLimit(initial=4, maximum=8)
    limit.on_throttled()  # 2, and slow start is over
    for _ in range(2):
        limit.on_success()
    assert limit.slots == 2  # 2 + 1/2 + 1/2.5
    limit.on_success()
    assert limit.slots == 3


def test_a_throttled_batch_halves_the_window_but_never_below_one() -> None:
    limit = ConcurrencyLimit(initial=8, maximum=8)
    limit.on_throttled()
    assert limit.slots == 4
    for _ in range(5):
        limit.on_throttled()
    assert limit.slots == 1


def test_the_window_never_grows_past_its_maximum() -> None:
    limit = ConcurrencyLimit(initial=1, maximum=3)
    for _ in range(100):
        limit.on_success()
    assert limit.slots == 3


def test_a_fixed_window_does_not_adapt() -> None:
    limit = ConcurrencyLimit(initial=8, maximum=8, fixed=True)
    limit.on_throttled()
    limit.on_success()
    assert limit.slots == 8


def test_an_initial_size_outside_the_bounds_is_refused() -> None:
    with pytest.raises(ValueError):
        ConcurrencyLimit(initial=0, maximum=4)


def test_batches_throttled_together_halve_the_window_once() -> None:
    limit = ConcurrencyLimit(initial=16, maximum=16)
    sent_in = limit.epoch
    reductions = [limit.on_throttled(sent_in) for _ in range(16)]
    assert reductions.count(True) == 1 and limit.window == 8


def test_a_batch_sent_after_a_reduction_may_reduce_again() -> None:
    limit = ConcurrencyLimit(initial=16, maximum=16)
    limit.on_throttled(limit.epoch)
    assert limit.on_throttled(limit.epoch) and limit.window == 4

import gc

import pytest

from bench.measure import workload_frozen


def test_the_workload_is_out_of_the_collectors_reach_while_an_approach_runs() -> None:
    workload = [{"id": str(n)} for n in range(1_000)]
    with workload_frozen():
        frozen = gc.get_freeze_count()
        assert frozen >= len(workload)
        made_during_the_run = [{"id": str(n)} for n in range(100)]
        assert gc.get_freeze_count() == frozen  # the approach's own objects are collected
        assert len(made_during_the_run) == 100
    assert gc.get_freeze_count() == 0


def test_the_workload_is_given_back_to_the_collector_when_the_approach_fails() -> None:
    with pytest.raises(RuntimeError), workload_frozen():
        raise RuntimeError("the approach failed")
    assert gc.get_freeze_count() == 0

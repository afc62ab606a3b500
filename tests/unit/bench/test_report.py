"""The Markdown report: every scenario's section, the imports' included."""

from __future__ import annotations

from bench.approaches import CEILING, DIRECT, EXECUTOR
from bench.cold_start import ColdStart
from bench.executor_scaling import Fairness, KeysRun, ManyKeys, Scaling
from bench.limit_body import BodyAtLimit, Post
from bench.procfs import MB
from bench.report import markdown
from tests.unit.bench.test_chart import measurement
from tests.unit.bench.test_large_import import result


def keys_run(
    workload: str, keys: int, cpu_seconds: float, batches: int, floor: float = 0.0
) -> KeysRun:
    return KeysRun(
        workload=workload,
        keys=keys,
        records=200_000,
        cpu_seconds=cpu_seconds,
        batches=batches,
        written=200_000,
        keys_after_drain=0,
        floor_cpu_seconds=floor,
    )


def scaling(out_of_budget: int = 0) -> Scaling:
    keys = ManyKeys(
        runs=[
            keys_run("few", 40, 4.0, 2_520, floor=0.5),
            keys_run("many", 100_000, 12.0, 200_000, floor=1.0),
            keys_run("few, after many", 40, 4.2, 2_520, floor=0.5),
        ]
    )
    fairness = Fairness(
        hot_records=6_000,
        cold_keys=20,
        cold_records=50,
        ru_per_second=4_000,
        seconds=20.0,
        cold_waits=[1.0, 2.5, 3.5],
        hot_seconds=19.0,
        out_of_budget=out_of_budget,
        written=7_000 - out_of_budget,
    )
    return Scaling(keys=keys, fairness=fairness)


def unthrottled_runs(
    executor: list[float], ceiling: list[float], direct: list[float] | None = None
) -> list:  # type: ignore[type-arg]
    """Seconds per run of the executor, the ceiling and direct SDK batches (as fast as the
    executor unless given)."""
    every = zip(executor, direct or executor, ceiling, strict=True)
    return [
        measurement("unthrottled", name, seconds, run=run)
        for run, times in enumerate(every, start=1)
        for name, seconds in zip((EXECUTOR, DIRECT, CEILING), times, strict=True)
    ]


def test_the_report_has_a_section_for_the_large_import_and_the_body_at_the_limit() -> None:
    results = [
        measurement("throttled", "(b) the executor", 2.0, provisioned_ru_per_second=4000),
        measurement("small messages", "(b) the executor, via the queue", 3.0),
        *unthrottled_runs([0.1, 0.1, 0.1], [0.09, 0.09, 0.09]),
    ]
    post = Post(route="imports", status=202, seconds=3.0, resident_before=80 * MB, peak=160 * MB)
    floor = Post(route="products", status=413, seconds=0.1, resident_before=80 * MB, peak=110 * MB)
    at_limit = BodyAtLimit(body_bytes=16 * MB, records=88_000, imports=[post], floor=[floor])
    starts = [ColdStart("app", [1.0]), ColdStart("floor", [0.5])]
    head_to_head = unthrottled_runs([0.1, 0.1, 0.1], [0.09, 0.09, 0.09])
    report = markdown(results, starts, "2 CPUs", result(), at_limit, scaling(), head_to_head)
    assert "## Large import: 1,000 products through the command" in report
    assert "## One body at the limit: 16,000,000 bytes, 88,000 records" in report
    assert "Growth of an import beyond the floor: 50 MB (bound: one body, 16 MB)." in report


def report_of(runs: list, scaling_result: Scaling | None = None) -> str:  # type: ignore[type-arg]
    post = Post(route="imports", status=202, seconds=3.0, resident_before=80 * MB, peak=160 * MB)
    at_limit = BodyAtLimit(body_bytes=16 * MB, records=88_000, imports=[post], floor=[post])
    results = [measurement("throttled", EXECUTOR, 2.0, provisioned_ru_per_second=4000), *runs]
    results.append(measurement("small messages", "(b) the executor, via the queue", 3.0))
    starts = [ColdStart("app", [1.0]), ColdStart("floor", [0.5])]
    every_scaling = scaling_result or scaling()
    return markdown(results, starts, "2 CPUs", result(), at_limit, every_scaling, runs)


def test_the_executor_is_held_to_the_ceiling_by_the_median_of_its_runs() -> None:
    report = report_of(unthrottled_runs([1.0, 1.25, 1.25], [0.9, 1.0, 1.0], [1.0, 1.0, 1.0]))
    assert "## The executor against the endpoint's ceiling: 1,000 products a run" in report
    assert "| 3 | 800 | 1,000 | 1,000 | 0.80 | 1.00 | 0.80 |" in report
    assert "run by run: 0.90, 0.80, 0.80, median 0.80 (target: a median >= 0.9: **not met**)" in (
        report
    )
    assert "direct SDK batches against the ceiling: 0.90, 1.00, 1.00, median 1.00." in report
    report = report_of(unthrottled_runs([1.0, 1.0, 1.25], [0.95, 0.9, 0.92]))
    assert "run by run: 0.95, 0.90, 0.74, median 0.90 (target: a median >= 0.9: met)" in report


def test_each_unthrottled_row_is_the_median_run_and_lists_every_run() -> None:
    report = report_of(unthrottled_runs([2.0, 1.0, 4.0], [1.0, 1.0, 1.0]))
    assert f"| {EXECUTOR} | 500 |" in report
    assert "| 500, 1,000, 250 |" in report  # in run order


def test_the_executor_sections_state_their_targets() -> None:
    report = report_of(unthrottled_runs([1.0] * 3, [1.0] * 3), scaling(out_of_budget=3))
    assert "100,000 keys against 40: 3.00 (target <= 1.5: **not met**)" in report
    assert "after 100,000 were seen against a fresh executor: 1.05" in report
    # 1.5 x 4.0 - (4.0 - 0.5) - 1.0 = 1.5 s over 200,000 batches; (12 - 1) - 3.5 = 7.5 s spent
    assert "leave it 7.5 µs of its own per batch beyond the floor; it spends 37.5 µs." in report
    assert "| records out of budget (30 s) | 3 | none: **not met** |" in report
    assert "| cold messages' wait (s): median, longest | 2.50, 3.50 | |" in report

"""The benchmark chart: one SVG with every approach's rate and the throttled runs over time."""

from __future__ import annotations

from pathlib import Path

from bench.chart import render
from bench.measure import Measurement


def measurement(scenario: str, approach: str, seconds: float, **extra: object) -> Measurement:
    fields: dict[str, object] = {
        "scenario": scenario,
        "approach": approach,
        "records": 1000,
        "seconds": seconds,
        "written": 1000,
        "lost": 0,
        "throttled": 0,
        "requests": 10,
        "request_charge": 10_000.0,
        "provisioned_ru_per_second": None,
        "client_cpu_seconds": None,
        **extra,
    }
    return Measurement(**fields)  # type: ignore[arg-type]


def test_the_chart_names_every_approach_and_draws_the_provisioned_line(tmp_path: Path) -> None:
    timeline = ((0.25, 3100.0), (0.5, 3900.0), (0.75, 4000.0))
    results = [
        measurement("throttled", "(b) the executor", 2.0, provisioned_ru_per_second=4000,
                    timeline=timeline),
        measurement("throttled", "(a) create_item per record", 4.0, provisioned_ru_per_second=4000,
                    timeline=timeline),
        measurement("unthrottled", "direct SDK batches", 0.1),
    ]  # fmt: skip
    svg = render(results, tmp_path / "benchmarks.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("(b) the executor", "(a) create_item per record", "direct SDK batches",
                 "4,000 RU/s provisioned", "provisioned", "500", "10,000"):  # fmt: skip
        assert text in svg, text


def test_without_throttled_timelines_the_chart_still_renders(tmp_path: Path) -> None:
    results = [measurement("unthrottled", "(b) the executor", 0.5)]
    svg = render(results, tmp_path / "benchmarks.svg").read_text()
    assert "(b) the executor" in svg and "2,000" in svg

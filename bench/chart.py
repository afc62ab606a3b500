"""The benchmark figures as one SVG: records per second per approach in every scenario, and for
the throttled runs, the request units charged per second against the provisioned line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.measure import Measurement

SCENARIOS = ("throttled", "small messages", "unthrottled", "large import")


def _label(approach: str, width: int = 44) -> str:
    return approach if len(approach) <= width else approach[: width - 1] + "…"


def _records_per_second(axes: Any, results: list[Measurement], scenario: str) -> None:
    shown = [r for r in results if r.scenario == scenario]
    names = [_label(r.approach) for r in shown]
    rates = [r.records_per_second for r in shown]
    bars = axes.barh(names, rates, color="#4477aa")
    axes.bar_label(bars, labels=[f"{rate:,.0f}" for rate in rates], padding=3, fontsize=8)
    axes.invert_yaxis()
    ru = shown[0].provisioned_ru_per_second if shown else None
    axes.set_title(f"{scenario}" + (f" ({ru:,} RU/s provisioned)" if ru else ""), fontsize=10)
    axes.set_xlabel("records written per second")
    axes.margins(x=0.2)


def _goodput_over_time(axes: Any, results: list[Measurement]) -> None:
    throttled = [r for r in results if r.scenario == "throttled" and r.timeline]
    for result in throttled:
        seconds = [t for t, _ in result.timeline]
        rates = [rate for _, rate in result.timeline]
        axes.plot(seconds, rates, label=_label(result.approach), linewidth=1.2)
    provisioned = next((r.provisioned_ru_per_second for r in throttled), None)
    if provisioned:
        axes.axhline(provisioned, color="black", linestyle="--", linewidth=1, label="provisioned")
    axes.set_title("throttled: request units charged per second", fontsize=10)
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("RU/s")
    if throttled:
        axes.legend(fontsize=7, loc="lower right")
    else:
        axes.text(0.5, 0.5, "no throttled run", ha="center", transform=axes.transAxes)


def render(results: list[Measurement], path: Path) -> Path:
    """Write the chart to `path` (SVG, text kept as text)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"
    scenarios = [s for s in SCENARIOS if any(r.scenario == s for r in results)]
    heights = [1 + 0.35 * sum(r.scenario == s for r in results) for s in scenarios] + [3.0]
    figure, grid = plt.subplots(
        len(heights), 1, figsize=(9, sum(heights)), height_ratios=heights, layout="constrained"
    )
    for axes, scenario in zip(grid, scenarios, strict=False):
        _records_per_second(axes, results, scenario)
    _goodput_over_time(grid[-1], results)
    figure.savefig(path, format="svg")
    plt.close(figure)
    return path

"""Cold start with telemetry: the ratio of the medians, and the target."""

from __future__ import annotations

from bench.cold_start import Start
from bench.cold_start_telemetry import ColdStartTelemetry, Starts, table
from bench.procfs import MB


def starts(name: str, *seconds: float) -> Starts:
    return Starts(name, [Start(s, s * 0.9, 80 * MB) for s in seconds])


def test_the_ratio_is_of_the_median_starts_and_its_target_is_1_15() -> None:
    within = ColdStartTelemetry(starts("without", 1.0, 1.2, 1.1), starts("with", 1.2, 1.25, 9.0))
    assert within.ratio == 1.25 / 1.1 and within.to_json()["met"] is True
    assert "met." in table(within)
    beyond = ColdStartTelemetry(starts("without", 1.0), starts("with", 1.16))
    assert "**not met**" in table(beyond)

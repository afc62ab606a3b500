"""Cold start with telemetry: the cold start of `bench/cold_start.py` (a fresh host to the first
200 of a product read), for the app with Application Insights configured, beside the same app
without it. In Azure telemetry is always on, so this is the cold start users meet.

The connection string names an ingestion endpoint nothing listens on: the exporters are built and
try to send, which costs what it costs in Azure up to the network. Each start is a fresh
process, the two interleaved; the median of `STARTS` of each is reported, with the host's CPU
seconds and peak RSS at its first 200. Target: at most 1.15 times the cold start without.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import requests

from bench.cold_start import STARTS, Start, start_measured
from bench.procfs import MB
from bench.workload import products
from devtools.stack import ROOT, LocalStack

# A well-formed connection string whose endpoints refuse connections at once.
APPLICATION_INSIGHTS = (
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
    "IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/"
)
TARGET = 1.15
DESCRIPTION = (
    "From starting the development host to the first 200 of a product read, for this app "
    "without telemetry and with APPLICATIONINSIGHTS_CONNECTION_STRING set (an ingestion endpoint "
    f"nothing listens on), fresh processes, {STARTS} of each, interleaved; the host's CPU seconds "
    "and peak RSS (VmHWM) at its first 200."
)
VARIANTS = {
    "without telemetry": {},
    "with Application Insights": {"APPLICATIONINSIGHTS_CONNECTION_STRING": APPLICATION_INSIGHTS},
}


@dataclass(frozen=True)
class Starts:
    """The starts of one variant of the app."""

    name: str
    starts: list[Start]

    def median(self, figure: str) -> float:
        return statistics.median(getattr(start, figure) for start in self.starts)


@dataclass(frozen=True)
class ColdStartTelemetry:
    without: Starts
    with_telemetry: Starts

    @property
    def ratio(self) -> float:
        return self.with_telemetry.median("seconds") / self.without.median("seconds")

    def figures(self) -> dict[str, float]:
        """The run's figures, by name (medians of its starts)."""
        figures = {"ratio": round(self.ratio, 3)}
        for key, starts in (("without", self.without), ("with", self.with_telemetry)):
            figures[f"{key}Seconds"] = round(starts.median("seconds"), 3)
            figures[f"{key}CpuSeconds"] = round(starts.median("cpu_seconds"), 3)
            figures[f"{key}PeakMB"] = round(starts.median("peak_resident") / MB, 1)
        return figures

    def to_json(self) -> dict[str, Any]:
        return {
            "starts": STARTS,
            **self.figures(),
            "target": TARGET,
            "met": self.ratio <= TARGET,
            "seconds": {
                starts.name: [round(start.seconds, 3) for start in starts.starts]
                for starts in (self.without, self.with_telemetry)
            },
        }


def run(stack: LocalStack) -> ColdStartTelemetry:
    """Store a product to read, then measure."""
    item = products(1, seed=12)[0]
    stored = requests.post(f"{stack.api_url}/products", json=item, timeout=60)
    if stored.status_code != 409:  # 409: stored by an earlier run on this stack
        stored.raise_for_status()
    return measure(stack, f"/products/{item['categoryId']}/{item['id']}")


def measure(stack: LocalStack, product_path: str) -> ColdStartTelemetry:
    starts: dict[str, list[Start]] = {name: [] for name in VARIANTS}
    for _ in range(STARTS):  # interleaved, so that drift on a shared machine hits both alike
        for name, settings in VARIANTS.items():
            starts[name].append(start_measured(stack, ROOT, product_path, settings))
    without, with_telemetry = (Starts(name, found) for name, found in starts.items())
    return ColdStartTelemetry(without, with_telemetry)


def table(result: ColdStartTelemetry) -> str:
    rows = [
        f"| app | median of {STARTS} starts (s) | ratio | host CPU s at the first 200 "
        "| host peak RSS |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for starts in (result.without, result.with_telemetry):
        ratio = starts.median("seconds") / result.without.median("seconds")
        rows.append(
            f"| {starts.name} | {starts.median('seconds'):.2f} | {ratio:.2f}x | "
            f"{starts.median('cpu_seconds'):.2f} | {starts.median('peak_resident') / MB:,.0f} MB |"
        )
    met = "met" if result.ratio <= TARGET else "**not met**"
    return "\n".join(rows) + f"\n\nTarget: at most {TARGET}x without telemetry: {met}."

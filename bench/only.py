"""`python -m bench.only SCENARIO... [--runs N]`: some of the scenarios `make bench` runs, against
one freshly started local stack, each `--runs` times: every run's table, then the median of each
figure over the runs, with the machine's load average before and after. Nothing is written to
docs/ (that is `make bench`'s); `--json FILE` keeps every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import urllib3
from urllib3.exceptions import InsecureRequestWarning

from bench import cold_start_telemetry, interactive, three_instances
from devtools.stack import LocalStack


class Result(Protocol):
    def figures(self) -> dict[str, float]: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Scenario:
    run: Callable[[LocalStack], Any]
    table: Callable[[Any], str]


SCENARIOS = {
    "interactive": Scenario(interactive.run, interactive.table),
    "three-instances": Scenario(three_instances.run, three_instances.table),
    "cold-start-telemetry": Scenario(cold_start_telemetry.run, cold_start_telemetry.table),
}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def medians(results: list[Result]) -> dict[str, float]:
    """Each figure's median over the runs."""
    keys = results[0].figures().keys()
    return {key: statistics.median(r.figures()[key] for r in results) for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.only", description=__doc__)
    parser.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every run's figures to this file")
    args = parser.parse_args()
    urllib3.disable_warnings(InsecureRequestWarning)
    figures: dict[str, Any] = {"loadAverageBefore": load_average()}
    with LocalStack() as stack:
        for name in args.scenarios:
            scenario, results = SCENARIOS[name], []
            for number in range(1, args.runs + 1):
                results.append(scenario.run(stack))
                print(f"\n## {name}, run {number} (load {load_average()})\n", flush=True)
                print(scenario.table(results[-1]), flush=True)
            figures[name] = {
                "runs": [result.to_json() for result in results],
                "medians": medians(results),
            }
            print(f"\n{name}: medians of {args.runs}: {figures[name]['medians']}", flush=True)
    figures["loadAverageAfter"] = load_average()
    print(f"\nload average: before {figures['loadAverageBefore']}, after {load_average()}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

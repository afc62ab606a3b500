"""Cold start: from starting the host process to the first 200 of a product read.

The app is measured beside a floor, a minimal app with one route that does a bare SDK
`read_item`, started by the same host; the ratio is what the app itself adds. Each start is a
fresh process; the median of `STARTS` is reported.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.procfs import cpu_seconds, peak_resident
from devtools.stack import ROOT, LocalStack

STARTS = 5
FLOOR_APP = Path(__file__).parent / "floor_app"
GIVE_UP_SECONDS = 60


@dataclass(frozen=True)
class ColdStart:
    name: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _first_200(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url, timeout=GIVE_UP_SECONDS).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.005)
    raise RuntimeError(f"no 200 from {url}")


@dataclass(frozen=True)
class Start:
    """One start: seconds to the first 200, and the host's CPU seconds and peak RSS by then."""

    seconds: float
    cpu_seconds: float
    peak_resident: int


def start_measured(
    stack: LocalStack, root: Path, product_path: str, settings: Mapping[str, str] | None = None
) -> Start:
    """Start a fresh host on `root` with `settings` over the stack's, until its first 200."""
    port = _free_port()
    command = [sys.executable, "-m", "devtools.devhost", "--port", str(port), "--root", str(root)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        # As in Azure, where the containers exist and are not created on first use.
        env={**stack.host_environment(), "COSMOS_CREATE_IF_MISSING": "false", **(settings or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _first_200(f"http://127.0.0.1:{port}/api{product_path}", process)
        seconds = time.perf_counter() - started
        return Start(seconds, cpu_seconds(process.pid), peak_resident(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


def start_once(stack: LocalStack, root: Path, product_path: str) -> float:
    return start_measured(stack, root, product_path).seconds


def measure(stack: LocalStack, product_path: str) -> list[ColdStart]:
    apps = [("the product catalog", ROOT), ("floor: one route, bare read_item", FLOOR_APP)]
    results: dict[str, list[float]] = {name: [] for name, _ in apps}
    for _ in range(STARTS):  # interleaved, so that drift on a shared machine hits both alike
        for name, root in apps:
            results[name].append(start_once(stack, root, product_path))
    return [ColdStart(name, seconds) for name, seconds in results.items()]


def table(results: list[ColdStart]) -> str:
    floor = results[-1].median
    rows = [
        f"| app | median of {STARTS} starts (s) | min | max | ratio to the floor |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rows.append(
            f"| {r.name} | {r.median:.2f} | {min(r.seconds):.2f} | {max(r.seconds):.2f} | "
            f"{r.median / floor:.2f}x |"
        )
    return "\n".join(rows)

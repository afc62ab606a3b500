"""The large import: a million products as NDJSON (about 190 MB, 1,000 categories), written to a
temporary file one product at a time and loaded end to end by the import command
(`catalog-import FILE --api URL --json`, its default 4 MiB requests) into the app's container,
without provisioned throughput, through the stack's own development host.

It runs once per `make bench`: a run takes minutes, three would triple that.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import requests

from bench import pipeline
from bench.measure import Measurement, emulator_stats, measured, write_requests
from bench.procfs import MB, cpu_seconds, megabytes, peak_resident, reset_peak, resident
from bench.readback import stored_records
from bench.workload import tagged_products, write_ndjson
from devtools.stack import ROOT, LocalStack

RECORDS = 1_000_000
CATEGORIES = 1_000
SEED = 8
SCENARIO = "large import"
APPROACH = "catalog-import, 4 MiB requests, end to end"
IMPORT_COMMAND = Path(sys.executable).with_name("catalog-import")
# The targets: the host's peak RSS, and records/s against the unthrottled executor's.
HOST_PEAK_TARGET = 400 * MB
RATE_TARGET = 0.5
PEAK_POLL_SECONDS = 0.05


@dataclass(frozen=True, kw_only=True)
class CommandRun:
    """The import command, run to its end: exit status, wall-clock seconds, its own peak RSS and
    its --json summary (`{"error": ...}` when it failed)."""

    exit_status: int
    started_at: float  # the wall clock (time.time()) at its start
    seconds: float
    cpu_seconds: float
    peak_resident: int
    summary: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class LargeImport:
    measurement: Measurement  # written: the records found in Cosmos DB, every one read back
    file_bytes: int
    command: CommandRun
    host_resident_before: int
    host_peak: int  # VmHWM of the host during the import (the peak reset just before)
    executor_rate: float  # records/s of the unthrottled executor, same run
    load: tuple[float, float]  # the 1-minute load average before and after: others' work shows
    cpu: dict[str, float]  # CPU seconds each of the stack's processes spent during the import
    last_request_began: float | None  # seconds after the command's start: the upload's length

    @property
    def rate_ratio(self) -> float:
        return self.measurement.records_per_second / self.executor_rate

    def checks(self) -> dict[str, bool]:
        summary, records = self.command.summary, self.measurement.records
        written, rejected = summary.get("written"), summary.get("rejected")
        return {
            "exitStatus0": self.command.exit_status == 0,
            "writtenPlusRejectedIsRecords": (written or 0) + (rejected or 0) == records,
            "storedIsWritten": self.measurement.written == written,
            "hostPeakWithinTarget": self.host_peak <= HOST_PEAK_TARGET,
            "rateWithinTarget": self.rate_ratio >= RATE_TARGET,
        }

    def to_json(self) -> dict[str, Any]:
        summary = self.command.summary
        return {
            "records": self.measurement.records,
            "categories": CATEGORIES,
            "fileBytes": self.file_bytes,
            "exitStatus": self.command.exit_status,
            "imports": len(summary.get("imports", [])),
            "written": summary.get("written"),
            "rejected": summary.get("rejected"),
            "stored": self.measurement.written,
            "seconds": round(self.measurement.seconds, 2),
            "commandSeconds": summary.get("seconds"),
            "lastRequestBeganAfterSeconds": self.last_request_began,
            "recordsPerSecond": round(self.measurement.records_per_second, 1),
            "executorRecordsPerSecond": round(self.executor_rate, 1),
            "ratioToExecutor": round(self.rate_ratio, 3),
            "hostResidentBeforeBytes": self.host_resident_before,
            "hostPeakBytes": self.host_peak,
            "commandPeakBytes": self.command.peak_resident,
            "loadAverageBeforeAfter": list(self.load),
            "cpuSeconds": {**self.cpu, "command": round(self.command.cpu_seconds, 2)},
            "cosmosWriteRequests": self.measurement.requests,
            "targets": {"hostPeakBytes": HOST_PEAK_TARGET, "ratioToExecutor": RATE_TARGET},
            "checks": self.checks(),
            "error": summary.get("error"),
        }


def _summary(stdout: IO[bytes], stderr: IO[bytes]) -> dict[str, Any]:
    stdout.seek(0)
    lines = stdout.read().decode(errors="replace").strip().splitlines()
    try:
        summary: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        stderr.seek(0)
        summary = {"error": stderr.read().decode(errors="replace").strip()[-500:]}
    return summary


def _wait_watching_peak(pid: int) -> tuple[int, os.struct_rusage, int]:
    """Wait for the child `pid`, reading its peak RSS (VmHWM) every `PEAK_POLL_SECONDS`: its exit
    status, rusage and the last peak read. rusage's ru_maxrss cannot serve: Linux carries the
    image the child was forked from (this process, with its generated data) into it."""
    peak = 0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak
        with contextlib.suppress(OSError, RuntimeError):  # exited between the two calls
            peak = max(peak, peak_resident(pid))
        time.sleep(PEAK_POLL_SECONDS)


def run_command(arguments: list[str]) -> CommandRun:
    """Run catalog-import with `arguments` and --json, to its end."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started_at, started = time.time(), time.perf_counter()
        process = subprocess.Popen(
            [str(IMPORT_COMMAND), *arguments, "--json"], cwd=ROOT, stdout=stdout, stderr=stderr
        )
        status, usage, peak = _wait_watching_peak(process.pid)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        return CommandRun(
            exit_status=process.returncode,
            started_at=started_at,
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_resident=peak,
            summary=_summary(stdout, stderr),
        )


def _last_request_began(api_url: str, command: CommandRun) -> float | None:
    """When the command's last import request began (its import's createdAt), in seconds after
    the command started: how long sending the file took, against consuming it."""
    imports = command.summary.get("imports") or []
    if not imports:
        return None
    progress = requests.get(f"{api_url}/imports/{imports[-1]['importId']}", timeout=30).json()
    began = datetime.fromisoformat(progress["createdAt"]).timestamp()
    return round(began - command.started_at, 2)


def _stack_cpu(stack: LocalStack) -> dict[str, float]:
    return {s.name: cpu_seconds(pipeline.pid_of(s)) for s in stack.services}


def run(stack: LocalStack, *, executor_rate: float) -> LargeImport:
    """Generate the file, time the command from its start to its exit, then read every record
    of the file back from the container."""
    target = pipeline.reset_app_container(stack, None)
    host = pipeline.host_pid(stack)
    with tempfile.TemporaryDirectory(prefix="bench-large-import-") as folder:
        file = Path(folder) / "products.ndjson"
        size = write_ndjson(file, tagged_products(RECORDS, categories=CATEGORIES, seed=SEED))
        before, host_before, load_before = emulator_stats(stack), resident(host), os.getloadavg()
        cpu_before = _stack_cpu(stack)
        reset_peak(host)
        command = run_command([str(file), "--api", stack.api_url])
        host_peak, load_after, cpu_after = peak_resident(host), os.getloadavg(), _stack_cpu(stack)
        print(f"  {SCENARIO}: exit {command.exit_status} in {command.seconds:.1f} s", flush=True)
        measurement = measured(
            target=target,
            records=RECORDS,
            scenario=SCENARIO,
            approach=APPROACH,
            before=before,
            seconds=command.seconds,
            ru_per_second=None,
            count_requests=write_requests,
            count_stored=lambda target: stored_records(target, file),
        )
    return LargeImport(
        measurement=measurement,
        file_bytes=size,
        command=command,
        host_resident_before=host_before,
        host_peak=host_peak,
        executor_rate=executor_rate,
        load=(load_before[0], load_after[0]),
        cpu={name: round(cpu_after[name] - cpu_before[name], 2) for name in cpu_after},
        last_request_began=_last_request_began(stack.api_url, command),
    )


def _seconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _cpu(result: LargeImport) -> str:
    spent = {**result.cpu, "command": result.command.cpu_seconds}
    return ", ".join(f"{name} {seconds:,.0f}" for name, seconds in spent.items())


def table(result: LargeImport) -> str:
    m, summary, checks = result.measurement, result.command.summary, result.checks()
    written, rejected = summary.get("written"), summary.get("rejected")
    rows = [
        "| figure | measured | target |",
        "| --- | ---: | --- |",
        f"| file | {m.records:,} records, {result.file_bytes / MB:,.0f} MB | |",
        f"| exit status | {result.command.exit_status} | 0: {_met(checks['exitStatus0'])} |",
        f"| written + rejected | {written or 0:,} + {rejected or 0:,} | = records: "
        f"{_met(checks['writtenPlusRejectedIsRecords'])} |",
        f"| stored in Cosmos DB (every record read back) | {m.written:,} | = written: "
        f"{_met(checks['storedIsWritten'])} |",
        f"| imports (requests) | {len(summary.get('imports', [])):,} | |",
        f"| seconds, command start to exit | {m.seconds:.1f} | |",
        f"| seconds until its last request began (the rest: the queue drains) | "
        f"{_seconds(result.last_request_began)} | |",
        f"| records/s | {m.records_per_second:,.0f} | |",
        f"| ratio to the unthrottled executor ({result.executor_rate:,.0f} records/s) | "
        f"{result.rate_ratio:.2f} | >= {RATE_TARGET}: {_met(checks['rateWithinTarget'])} |",
        f"| host peak RSS (VmHWM; {megabytes(result.host_resident_before)} before) | "
        f"{megabytes(result.host_peak)} | <= {megabytes(HOST_PEAK_TARGET)}: "
        f"{_met(checks['hostPeakWithinTarget'])} |",
        f"| command peak RSS | {megabytes(result.command.peak_resident)} | |",
        f"| CPU seconds during the import | {_cpu(result)} | |",
        f"| 1-minute load average before, after | {result.load[0]:.2f}, {result.load[1]:.2f} | |",
    ]
    if error := summary.get("error"):
        rows.append(f"| the command's error | {str(error).replace('|', '/')} | |")
    return "\n".join(rows)

"""The large import's figures: the command's own status, time and memory, and the targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import large_import
from bench.large_import import CommandRun, LargeImport, run_command, table
from bench.measure import Measurement
from bench.procfs import MB


def measurement(*, records: int, stored: int, seconds: float) -> Measurement:
    return Measurement(
        scenario=large_import.SCENARIO, approach=large_import.APPROACH, records=records,
        seconds=seconds, written=stored, lost=records - stored, throttled=0, requests=0,
        request_charge=0.0, provisioned_ru_per_second=None, client_cpu_seconds=None,
    )  # fmt: skip


def result(*, stored: int = 1000, written: int = 1000, rejected: int = 0, status: int = 0,
           host_peak: int = 300 * MB, seconds: float = 0.1) -> LargeImport:  # fmt: skip
    return LargeImport(
        measurement=measurement(records=1000, stored=stored, seconds=seconds),
        file_bytes=190_000,
        command=CommandRun(
            exit_status=status,
            started_at=0.0,
            seconds=seconds,
            cpu_seconds=0.05,
            peak_resident=70 * MB,
            summary={"imports": [{}], "written": written, "rejected": rejected},
        ),
        host_resident_before=80 * MB,
        host_peak=host_peak,
        executor_rate=10_000.0,
        load=(0.5, 1.5),
        cpu={"cosmos": 0.1, "azurite": 0.05, "devhost": 0.08},
        last_request_began=0.05,
    )


def test_a_complete_fast_import_within_memory_meets_every_target() -> None:
    assert all(result().checks().values())
    assert result().rate_ratio == 1.0


def test_a_slow_import_misses_the_rate_target_and_the_table_says_so() -> None:
    slow = result(seconds=1.0)  # 1,000 records/s against the executor's 10,000
    assert slow.checks()["rateWithinTarget"] is False
    assert "| 0.10 | >= 0.5: **not met** |" in table(slow)


def test_records_missing_from_the_store_or_the_counts_are_found() -> None:
    checks = result(stored=990, written=995, rejected=0).checks()
    assert not checks["storedIsWritten"] and not checks["writtenPlusRejectedIsRecords"]


def test_a_host_peak_over_the_target_is_not_met() -> None:
    assert not result(host_peak=401 * MB).checks()["hostPeakWithinTarget"]


def test_run_command_keeps_the_status_the_summary_and_the_peak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = tmp_path / "catalog-import"
    command.write_text('#!/bin/sh\necho \'{"written": 3, "rejected": 1}\'\nsleep 0.3\nexit 2\n')
    command.chmod(0o755)
    monkeypatch.setattr(large_import, "IMPORT_COMMAND", command)
    run = run_command(["file.ndjson"])
    assert run.exit_status == 2
    assert run.summary == {"written": 3, "rejected": 1}
    assert run.peak_resident > 0


def test_a_command_that_prints_no_summary_is_reported_by_its_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = tmp_path / "catalog-import"
    command.write_text("#!/bin/sh\necho 'cannot reach the API' >&2\nexit 1\n")
    command.chmod(0o755)
    monkeypatch.setattr(large_import, "IMPORT_COMMAND", command)
    run = run_command([])
    assert run.exit_status == 1 and run.summary == {"error": "cannot reach the API"}


def test_the_command_peak_is_its_own_not_the_image_it_was_forked_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = tmp_path / "catalog-import"
    command.write_text("#!/bin/sh\nsleep 0.3\n")
    command.chmod(0o755)
    monkeypatch.setattr(large_import, "IMPORT_COMMAND", command)
    held = bytearray(150 * MB)
    held[::4096] = b"x" * len(held[::4096])  # resident here, so a forked child starts with it
    assert 0 < run_command([]).peak_resident < 50 * MB

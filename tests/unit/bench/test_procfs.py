"""Reading a process's memory and CPU time from /proc."""

from __future__ import annotations

import os
import time

from bench.procfs import MB, cpu_seconds, megabytes, peak_resident, reset_peak, resident


def test_a_reset_peak_forgets_memory_already_given_back() -> None:
    pid = os.getpid()
    block = bytearray(64 * MB)
    block[::4096] = b"x" * len(block[::4096])  # touch every page
    del block
    assert peak_resident(pid) >= resident(pid) + 60 * MB
    reset_peak(pid)
    assert peak_resident(pid) < resident(pid) + 60 * MB


def test_megabytes_are_decimal() -> None:
    assert megabytes(400_000_000) == "400 MB"


def test_cpu_seconds_count_the_work_done() -> None:
    pid = os.getpid()
    before = cpu_seconds(pid)
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert 0.1 <= cpu_seconds(pid) - before <= 1.0

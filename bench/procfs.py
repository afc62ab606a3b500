"""A process's resident memory (now, at its peak, the peak reset) and its CPU time, read from
/proc (Linux)."""

from __future__ import annotations

import os
import re
from pathlib import Path

KIB = 1024
MB = 1_000_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _status_bytes(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"/proc/{pid}/status has no {field}")
    return int(found.group(1)) * KIB


def resident(pid: int) -> int:
    """Bytes resident now (VmRSS)."""
    return _status_bytes(pid, "VmRSS")


def peak_resident(pid: int) -> int:
    """The most bytes resident at once since the start or the last `reset_peak` (VmHWM)."""
    return _status_bytes(pid, "VmHWM")


def reset_peak(pid: int) -> None:
    """Lower the peak to what is resident now, so that a later peak is a scenario's own."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    user, system = int(fields[11]), int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return (user + system) / CLOCK_TICKS


def megabytes(size: int) -> str:
    return f"{size / MB:,.0f} MB"

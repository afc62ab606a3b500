"""How progress is shown: a live bar on a terminal, plain lines elsewhere, nothing for --json."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console


@dataclass(frozen=True)
class Counts:
    written: int
    rejected: int
    total: int

    @property
    def done(self) -> int:
        return self.written + self.rejected


class ProgressView(Protocol):
    def update(self, counts: Counts) -> None: ...

    def close(self) -> None: ...


class Silent:
    """For --json: nothing until the summary."""

    def update(self, counts: Counts) -> None:
        pass

    def close(self) -> None:
        pass


def progress_line(counts: Counts, elapsed: float) -> str:
    """`written 1,200, rejected 3 of 25,000 (4.8%), 600 records/s, about 40 s left`."""
    percent = 100 * counts.done / counts.total if counts.total else 100.0
    line = f"written {counts.written:,}, rejected {counts.rejected:,} of {counts.total:,}"
    line += f" ({percent:.1f}%)"
    if elapsed > 0 and counts.done:
        rate = counts.done / elapsed
        left = (counts.total - counts.done) / rate
        line += f", {rate:,.0f} records/s, about {left:,.0f} s left"
    return line


class PlainLines:
    """Without a terminal: a line when the counts change, at most every `interval` seconds."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Lines go to `out`, or to whatever `sys.stdout` is when the view is made."""
        self.out, self.interval, self.clock = out or sys.stdout, interval, clock
        self.started = clock()
        self.last_printed = -interval
        self.last: Counts | None = None

    def update(self, counts: Counts) -> None:
        now = self.clock()
        finished = counts.done >= counts.total
        if counts == self.last or (now - self.last_printed < self.interval and not finished):
            return
        print(progress_line(counts, now - self.started), file=self.out, flush=True)
        self.last, self.last_printed = counts, now

    def close(self) -> None:
        pass


class RichBar:
    """On a terminal: a live bar of records done, with written, rejected, rate and time left."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[green]{task.fields[written]:,} written"),
            TextColumn("[red]{task.fields[rejected]:,} rejected"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
        )
        # The total grows as the file is sent (--max-pending holds requests back).
        self.task = self.progress.add_task("import", total=None, written=0, rejected=0, rate="")
        self.progress.start()

    def update(self, counts: Counts) -> None:
        self.progress.update(
            self.task,
            total=counts.total,
            completed=counts.done,
            written=counts.written,
            rejected=counts.rejected,
        )
        speed = self.progress.tasks[0].speed
        self.progress.update(self.task, rate=f"{speed:,.0f} records/s" if speed else "")

    def close(self) -> None:
        self.progress.stop()

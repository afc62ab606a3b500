"""Progress without a terminal: plain lines with counts, rate and time left."""

from __future__ import annotations

import io

from rich.console import Console

from catalog_import.display import Counts, PlainLines, RichBar, progress_line


def test_a_progress_line_has_counts_percentage_rate_and_time_left() -> None:
    line = progress_line(Counts(written=1_190, rejected=10, total=25_000), elapsed=2.0)
    assert line == ("written 1,190, rejected 10 of 25,000 (4.8%), 600 records/s, about 40 s left")


def test_before_anything_is_done_there_is_no_rate() -> None:
    assert progress_line(Counts(0, 0, 10), elapsed=0.5) == "written 0, rejected 0 of 10 (0.0%)"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_are_printed_at_most_every_interval_and_always_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    view = PlainLines(out, interval=1.0, clock=clock)
    for now, written in [(0.0, 0), (0.3, 10), (0.6, 20), (1.2, 30), (1.3, 100)]:
        clock.now = now
        view.update(Counts(written=written, rejected=0, total=100))
    printed = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in printed] == ["written 0", "written 30", "written 100"]


def test_on_a_terminal_the_bar_shows_written_rejected_total_and_rate() -> None:
    out = io.StringIO()
    clock = Clock()
    bar = RichBar(console=Console(file=out, force_terminal=True, width=160, get_time=clock))
    for second, written in enumerate([0, 20, 40]):
        clock.now = float(second)
        bar.update(Counts(written=written, rejected=second, total=100))
    bar.progress.refresh()
    bar.close()
    shown = out.getvalue()
    assert "42/100" in shown and "40 written" in shown and "2 rejected" in shown
    assert "records/s" in shown

"""Imports watched until they end: finished, failed, stalled or out of time.

The imports of one file share the ingestion queue and are served in turn, so a later import
may wait, rightly, while earlier ones are written. The command therefore calls its imports
stalled only when none of them has progressed (its state, written, rejected or messagesDone
changed) for `stall_seconds`, and names the first that has not finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from catalog_import.display import ProgressView
from catalog_import.errors import ImportFailedError
from catalog_import.outcome import Outcome

FINISHED_STATES = frozenset({"completed", "completedWithRejects"})
FAILED_STATE = "failed"
PROGRESS_FIELDS = ("state", "written", "rejected", "messagesDone")


class ProgressSource(Protocol):
    def progress(self, import_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True, kw_only=True)
class WatchLimits:
    timeout: float  # seconds for all imports to finish
    stall_seconds: float  # seconds without any progress
    poll_seconds: float = 0.5


class _StallClock:
    """How long the progress of the imports has stayed the same."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.seen: dict[str, tuple[Any, ...]] | None = None
        self.since = clock()

    def unchanged_for(self, progress: Mapping[str, Mapping[str, Any]]) -> float:
        seen = {key: tuple(p.get(f) for f in PROGRESS_FIELDS) for key, p in progress.items()}
        now = self.clock()
        if seen != self.seen:
            self.seen, self.since = seen, now
        return now - self.since


def watch(
    api: ProgressSource,
    outcome: Outcome,
    view: ProgressView,
    *,
    limits: WatchLimits,
    unfinished_at_most: int = 0,
    began: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll the progress of every import not yet finished until at most `unfinished_at_most`
    are unfinished (all have finished, by default), showing the counts. `ImportFailedError`
    when an import failed, when none progressed for `limits.stall_seconds`, or when they
    outlast `limits.timeout` counted from `began` (the clock's now unless given)."""
    began = clock() if began is None else began
    stall = _StallClock(clock)
    while True:
        running = [s.import_id for s in outcome.imports if not _finished(outcome, s.import_id)]
        for import_id in running:
            outcome.progress[import_id] = api.progress(import_id)
            if outcome.progress[import_id].get("state") == FAILED_STATE:
                raise ImportFailedError(_failed(import_id, outcome.progress[import_id]))
        view.update(outcome.counts())
        running = [import_id for import_id in running if not _finished(outcome, import_id)]
        if len(running) <= unfinished_at_most:
            return
        if stall.unchanged_for(outcome.progress) >= limits.stall_seconds:
            raise ImportFailedError(_stalled(outcome, running, limits.stall_seconds))
        if clock() - began > limits.timeout:
            counts = outcome.counts()
            raise ImportFailedError(
                f"the import did not finish within {limits.timeout:g} s "
                f"(written {counts.written:,}, rejected {counts.rejected:,} of {counts.total:,})"
            )
        sleep(limits.poll_seconds)


def _finished(outcome: Outcome, import_id: str) -> bool:
    return outcome.progress.get(import_id, {}).get("state") in FINISHED_STATES


def _failed(import_id: str, progress: Mapping[str, Any]) -> str:
    reason = progress.get("reason") or "the API gave no reason"
    return f"import {import_id} failed: {reason}"


def _stalled(outcome: Outcome, running: list[str], seconds: float) -> str:
    first = running[0]
    message = (
        f"import {first} made no progress for {seconds:g} s ({_counts(outcome.progress[first])})"
    )
    if len(running) > 1:
        message += f"; {len(running) - 1} more import(s) not finished"
    return message


def _counts(progress: Mapping[str, Any]) -> str:
    """`state running, written 1,200, rejected 3 of 5,000, messages done 2 of 9`."""

    def count(name: str) -> str:
        value = progress.get(name)
        return f"{value:,}" if isinstance(value, int) else "?"

    return (
        f"state {progress.get('state')}, written {count('written')}, "
        f"rejected {count('rejected')} of {count('accepted')}, "
        f"messages done {count('messagesDone')} of {count('messages')}"
    )

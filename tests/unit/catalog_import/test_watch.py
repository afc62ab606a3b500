"""Imports watched until they end: finished, failed, or stalled without progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog_import import __main__ as command
from catalog_import.api import StartedImport
from catalog_import.display import Silent
from catalog_import.errors import ImportFailedError
from catalog_import.outcome import Outcome
from catalog_import.watch import WatchLimits, watch
from tests.unit.catalog_import.fake_api import Answer, FakeApi

RECORD = '{"id": "p%d", "categoryId": "c", "name": "n", "price": 1}\n'


def progress(import_id: str, state: str = "running", **counts: Any) -> dict[str, Any]:
    """A progress body as GET /imports/{id} answers it."""
    body = {"importId": import_id, "state": state, "accepted": 3, "written": 0, "rejected": 0}
    return body | {"messages": 1, "messagesDone": 0} | counts


@pytest.fixture
def products(tmp_path: Path) -> Path:
    file = tmp_path / "products.ndjson"
    file.write_text("".join(RECORD % n for n in range(3)))
    return file


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "POLL_SECONDS", 0.02)


def test_an_import_without_progress_for_stall_seconds_exits_1_naming_it_and_its_counts(
    fake_api: FakeApi, products: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.on("POST", "/imports", Answer(status=202, body={"importId": "imp-1", "records": 3}))
    stuck = progress("imp-1", written=1, messages=2, messagesDone=1)
    fake_api.on("GET", "/imports/imp-1", Answer(body=stuck))
    status = command.main([str(products), "--api", fake_api.url, "--stall-seconds", "0.2"])
    assert status == 1
    assert capsys.readouterr().err.splitlines() == [
        "catalog-import: import imp-1 made no progress for 0.2 s "
        "(state running, written 1, rejected 0 of 3, messages done 1 of 2)"
    ]


def test_a_failed_import_exits_1_naming_it_and_the_reason(
    fake_api: FakeApi, products: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.on("POST", "/imports", Answer(status=202, body={"importId": "imp-1", "records": 3}))
    failed = progress("imp-1", "failed", reason="the ingestion queue could not be reached")
    fake_api.on("GET", "/imports/imp-1", Answer(body=failed))
    assert command.main([str(products), "--api", fake_api.url, "--json"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "catalog-import: import imp-1 failed: the ingestion queue could not be reached"
    ]


class Polls:
    """Progress that a test scripts poll by poll, on a clock that each sleep moves on."""

    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.answers = answers
        self.now = 0.0
        self.asked: list[str] = []

    def progress(self, import_id: str) -> dict[str, Any]:
        self.asked.append(import_id)
        script = self.answers[import_id]
        return script.pop(0) if len(script) > 1 else script[0]

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_watch(polls: Polls, imports: list[str], stall_seconds: float) -> Outcome:
    outcome = Outcome(imports=[StartedImport(import_id=i, records=3) for i in imports])
    limits = WatchLimits(timeout=3600, stall_seconds=stall_seconds, poll_seconds=1.0)
    watch(polls, outcome, Silent(), limits=limits, clock=polls.clock, sleep=polls.sleep)
    return outcome


def test_slow_but_steady_progress_is_never_a_stall() -> None:
    steps = [progress("a", written=n // 4) for n in range(12)]  # a change every 4 s
    polls = Polls({"a": [*steps, progress("a", "completed", written=3)]})
    outcome = run_watch(polls, ["a"], stall_seconds=5)
    assert outcome.progress["a"]["state"] == "completed" and polls.now >= 12


def test_an_import_waiting_behind_one_that_progresses_is_not_stalled() -> None:
    first = [progress("a", written=n) for n in range(10)] + [progress("a", "completed", written=3)]
    waiting = [progress("b")] * 11 + [progress("b", "completed", written=3)]
    polls = Polls({"a": first, "b": waiting})
    outcome = run_watch(polls, ["a", "b"], stall_seconds=3)
    assert {p["state"] for p in outcome.progress.values()} == {"completed"}


def test_a_stall_names_the_first_unfinished_import_and_how_many_others_wait() -> None:
    polls = Polls(
        {"a": [progress("a", "completed", written=3)], "b": [progress("b")], "c": [progress("c")]}
    )
    with pytest.raises(ImportFailedError, match=r"^import b made no progress for 3 s .*; 1 more"):
        run_watch(polls, ["a", "b", "c"], stall_seconds=3)


def test_a_finished_import_is_not_asked_about_again() -> None:
    polls = Polls(
        {
            "a": [progress("a", "completed", written=3)],
            "b": [progress("b"), progress("b", "completed")],
        }
    )
    run_watch(polls, ["a", "b"], stall_seconds=10)
    assert polls.asked == ["a", "b", "b"]

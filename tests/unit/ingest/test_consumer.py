from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from shared.ingest import consumer, import_parts
from shared.ingest.consumer import validate_records
from shared.ingest.messages import IngestMessage, parse_message
from shared.ingest.outcomes import Outcome, OutcomeKind, Record, WriteReport
from shared.ingest.progress import (
    ImportProgress,
    ImportState,
    PartCount,
    PartRecord,
    RecordedPart,
)
from shared.ingest.rejects import Reject
from shared.platform.host_config import max_dequeue_count
from tests.factories import IMPORT_ID, product_json
from tests.unit.fakes import http_error


def test_valid_records_become_items_and_invalid_ones_rejects_with_reasons() -> None:
    message = IngestMessage(raw_records=[product_json(), {"categoryId": "c", "price": -1}, "text"])
    records, rejects = validate_records(message, "m1")
    assert [r.index for r in records] == [0]
    assert [(r.index, r.status) for r in rejects] == [(1, 400), (2, 400)]
    assert "price" in rejects[0].reason and "name" in rejects[0].reason


def test_a_record_naming_a_member_twice_is_rejected_alone_naming_where() -> None:
    good = json.dumps(product_json())
    twice = '{"id": "d1", "id": "d2", "categoryId": "c", "name": "n", "price": 1}'
    nested = '{"categoryId": "c", "name": "n", "price": 1, "spec": {"w": 1, "w": 2}}'
    message = parse_message(f"[{twice}, {good}, {nested}]".encode())
    records, rejects = validate_records(message, "m1")
    assert [r.index for r in records] == [1]
    assert [(r.index, r.status) for r in rejects] == [(0, 400), (2, 400)]
    assert rejects[0].reason.startswith("body: an object names the same member twice")
    assert rejects[1].reason.startswith("spec: an object names the same member twice")


def test_records_without_id_get_the_same_id_on_every_delivery() -> None:
    record = product_json()
    del record["id"]
    message = IngestMessage(raw_records=[record, record], import_id=IMPORT_ID, part=2)
    first, _ = validate_records(message, "m1")
    again, _ = validate_records(message, "m2")
    assert [r.item["id"] for r in first] == [r.item["id"] for r in again]
    assert first[0].item["id"] != first[1].item["id"]


def import_state(
    state: ImportState = ImportState.RUNNING, *, messages: int = 1, superseded: int = 0, **more: Any
) -> ImportProgress:
    now = datetime.now(UTC).isoformat()
    fields: dict[str, Any] = {
        "import_id": IMPORT_ID, "accepted": 1, "messages": messages, "written": 0, "rejected": 0,
        "messages_done": 0, "duplicate_deliveries": 0, "created_at": now, "updated_at": now,
        "stored_state": state, "superseded": superseded, **more,
    }  # fmt: skip
    return ImportProgress(**fields)


class Recorder:
    """Stands in for the consumer's collaborators: an executor whose outcomes are scripted,
    import progress that answers with given states and a given part count, and the rejects
    that were sent."""

    def __init__(
        self,
        *,
        outcome: Outcome | None = None,
        count: PartCount = PartCount.COUNTED,
        states: list[ImportProgress] | None = None,
        superseded: dict[int, int] | None = None,
    ) -> None:
        self.outcome = outcome
        self.count = count
        self.states = states or [import_state()]
        self.superseded = superseded or {}
        self.sent: list[Reject] = []
        self.written: list[Record] = []
        self.counted: list[dict[str, object]] = []
        self.recorded: RecordedPart | None = None  # what an earlier delivery counted

    async def write(self, records: list[Record], *, budget: object) -> WriteReport:
        self.written.extend(records)
        scripted = self.outcome or Outcome(index=0, kind=OutcomeKind.WRITTEN)
        outcomes = [replace(scripted, index=record.index) for record in records]
        return WriteReport(outcomes=outcomes)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def executor() -> Recorder:
            return self

        async def part_recorded(**_: object) -> RecordedPart | None:
            return self.recorded

        async def record_part(**counts: object) -> PartRecord:
            self.counted.append(counts)
            return PartRecord(self.count)

        async def read_progress(**_: object) -> ImportProgress:
            return self.states.pop(0) if len(self.states) > 1 else self.states[0]

        async def read_supersessions(**_: object) -> dict[int, int]:
            return self.superseded

        async def store_rejects(*_: object, **__: object) -> None:
            return None

        async def send_rejects(rejects: list[Reject], **_: object) -> None:
            self.sent.extend(rejects)

        settings = SimpleNamespace(writer_retry_budget_seconds=5, http_timeout_seconds=10)
        monkeypatch.setattr(consumer, "shared_executor", executor)
        monkeypatch.setattr(consumer.progress, "part_recorded", part_recorded)
        monkeypatch.setattr(consumer.progress, "record_part", record_part)
        monkeypatch.setattr(consumer.progress, "read_progress", read_progress)
        monkeypatch.setattr(consumer.progress, "read_supersessions", read_supersessions)
        monkeypatch.setattr(consumer, "send_rejects", send_rejects)
        monkeypatch.setattr(consumer, "store_rejects", store_rejects)
        monkeypatch.setattr(consumer, "get_settings", lambda: settings)
        monkeypatch.setattr(import_parts, "get_settings", lambda: settings)
        monkeypatch.setattr(import_parts, "POLL_SECONDS", 0)


def part_message(*products: dict[str, object], part: int = 0) -> bytes:
    return json.dumps(
        {
            "importId": IMPORT_ID,
            "part": part,
            "products": list(products),
        }
    ).encode()


def ingest(body: bytes, *, dequeue_count: int = 1) -> consumer.IngestSummary:
    return asyncio.run(consumer.ingest(body, message_id="m1", dequeue_count=dequeue_count))


RETRY = Outcome(index=0, kind=OutcomeKind.RETRY, reason="Cosmos DB status 503", status=503)


def test_a_message_left_to_retry_raises_retry_later_caused_by_the_last_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cause = http_error(503)
    retry = Outcome(index=0, kind=OutcomeKind.RETRY, reason="Cosmos DB status 503", error=cause)
    recorder = Recorder(outcome=retry)
    recorder.install(monkeypatch)
    with pytest.raises(consumer.RetryLater) as raised:
        ingest(part_message(product_json()))
    assert raised.value.__cause__ is cause
    assert recorder.counted == [] and recorder.sent == []


def test_on_its_last_delivery_a_part_counts_its_unwritten_records_as_rejects_and_still_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(outcome=RETRY)
    recorder.install(monkeypatch)
    with pytest.raises(consumer.RetryLater):
        ingest(part_message(product_json(), product_json()), dequeue_count=max_dequeue_count())
    assert recorder.counted == [{**recorder.counted[0], "written": 0, "rejected": 2}]
    unwritten = [r for r in recorder.sent if r.index is not None]
    assert [(r.index, r.status) for r in unwritten] == [(0, 503), (1, 503)]
    assert all("5 deliveries" in r.reason and "503" in r.reason for r in unwritten)
    (poisoned,) = [r for r in recorder.sent if r.index is None]
    assert "poison" in poisoned.reason
    assert any(r.levelname == "ERROR" and "poison" in r.getMessage() for r in caplog.records)


def test_a_part_of_an_unknown_import_is_logged_and_reported_as_a_reject(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(count=PartCount.UNKNOWN_IMPORT)
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json()))
    assert summary.part_count is PartCount.UNKNOWN_IMPORT and summary.written == 1
    (orphan,) = recorder.sent
    assert (
        orphan.status == 404
        and "0b9e8c1a-4f2d-4c3b-9a7e-5d6f1e2a3b4c does not exist" in orphan.reason
    )
    assert any(r.levelname == "ERROR" and IMPORT_ID in r.getMessage() for r in caplog.records)


def test_a_part_numbered_beyond_its_import_is_written_reported_and_never_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder(states=[import_state(messages=3)])
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json(), part=3))
    assert summary.written == 1 and summary.part_count is None and recorder.counted == []
    (orphan,) = recorder.sent
    assert orphan.status == 404 and "has 3 parts; part 3 is none" in orphan.reason


def test_a_part_waits_while_its_import_is_enqueued_then_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pending = import_state(ImportState.PENDING)
    recorder = Recorder(states=[pending, pending, import_state()])
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json()))
    assert summary.part_count is PartCount.COUNTED and len(recorder.written) == 1


@pytest.mark.parametrize(
    "state",
    [
        import_state(ImportState.FAILED, reason="Enqueuing the parts failed: queue down"),
        import_state(ImportState.PENDING, updated_at="2026-01-01T00:00:00+00:00"),
    ],
    ids=["failed", "abandoned while pending"],
)
def test_a_part_of_an_import_that_never_opened_is_not_written_nor_counted(
    monkeypatch: pytest.MonkeyPatch, state: ImportProgress
) -> None:
    recorder = Recorder(states=[state])
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json()))
    assert summary.written == 0 and recorder.written == [] and recorder.counted == []
    (whole,) = recorder.sent
    assert whole.index is None and "not written" in whole.reason


def test_a_superseded_record_is_rejected_naming_the_record_that_replaces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder(states=[import_state(superseded=1)], superseded={0: 41})
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json(), product_json()))
    assert (summary.written, summary.rejected) == (1, 1)
    assert [r.index for r in recorder.written] == [1]
    (superseded,) = recorder.sent
    assert superseded.status == 409 and "record 41" in superseded.reason


def test_a_part_another_delivery_counted_first_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder(count=PartCount.ALREADY_COUNTED)
    recorder.install(monkeypatch)
    noted: list[str] = []

    async def note_duplicate_delivery(*, import_id: str) -> None:
        noted.append(import_id)

    monkeypatch.setattr(consumer.progress, "note_duplicate_delivery", note_duplicate_delivery)
    summary = ingest(part_message(product_json()))
    assert summary.duplicate and noted == [IMPORT_ID] and recorder.sent == []


def test_a_part_counted_from_this_very_message_is_a_duplicate_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = part_message(product_json())
    recorder = Recorder()
    recorder.recorded = RecordedPart(digest=hashlib.sha256(body).hexdigest())
    recorder.install(monkeypatch)
    monkeypatch.setattr(consumer.progress, "note_duplicate_delivery", _nothing)
    summary = ingest(body)
    assert summary.duplicate and recorder.written == [] and recorder.sent == []


def test_a_part_counted_from_another_message_is_not_written_and_comes_back_as_a_reject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    recorder.recorded = RecordedPart(digest=hashlib.sha256(b"the part as first sent").hexdigest())
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json(name="forged"), product_json()))
    assert recorder.written == [] and recorder.counted == []
    assert (summary.written, summary.rejected, summary.duplicate) == (0, 2, False)
    (whole,) = recorder.sent
    assert whole.index is None and whole.status == 409
    assert "counted from a message with other content" in whole.reason
    assert whole.raw is not None and "forged" in whole.raw


def test_a_part_counted_before_digests_were_kept_is_taken_for_a_redelivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    recorder.recorded = RecordedPart(digest=None)
    recorder.install(monkeypatch)
    monkeypatch.setattr(consumer.progress, "note_duplicate_delivery", _nothing)
    assert ingest(part_message(product_json())).duplicate and recorder.sent == []


def test_a_part_is_counted_with_the_digest_of_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    body = part_message(product_json())
    recorder = Recorder()
    recorder.install(monkeypatch)
    ingest(body)
    assert [count["digest"] for count in recorder.counted] == [hashlib.sha256(body).hexdigest()]


async def _nothing(**_: object) -> None:
    return None


def test_a_counted_part_sends_no_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    recorder.install(monkeypatch)
    summary = ingest(part_message(product_json()))
    assert summary.part_count is PartCount.COUNTED and recorder.sent == []


def test_a_missing_container_makes_the_next_delivery_rebuild_the_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = http_error(404)
    missing.headers = {"x-ms-substatus": "1003"}
    retry = Outcome(index=0, kind=OutcomeKind.RETRY, reason="Cosmos DB status 404", error=missing)
    Recorder(outcome=retry).install(monkeypatch)
    discarded: list[bool] = []
    monkeypatch.setattr(consumer.cosmos, "discard_clients", lambda: discarded.append(True))
    with pytest.raises(consumer.RetryLater):
        ingest(part_message(product_json()))
    assert discarded == [True]


def test_an_ordinary_transient_failure_keeps_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    Recorder(outcome=RETRY).install(monkeypatch)
    discarded: list[bool] = []
    monkeypatch.setattr(consumer.cosmos, "discard_clients", lambda: discarded.append(True))
    with pytest.raises(consumer.RetryLater):
        ingest(part_message(product_json()))
    assert discarded == []

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from shared.ingest import consumer
from shared.ingest.consumer import validate_records
from shared.ingest.messages import IngestMessage
from shared.ingest.progress import PartCount, PartRecord
from shared.ingest.rejects import Reject
from shared.ingest.writer import Outcome, OutcomeKind, Record, WriteReport
from tests.factories import product_json
from tests.unit.fakes import http_error


def test_valid_records_become_items_and_invalid_ones_rejects_with_reasons() -> None:
    message = IngestMessage(raw_records=[product_json(), {"categoryId": "c", "price": -1}, "text"])
    records, rejects = validate_records(message, "m1")
    assert [r.index for r in records] == [0]
    assert [(r.index, r.status) for r in rejects] == [(1, 400), (2, 400)]
    assert "price" in rejects[0].reason and "name" in rejects[0].reason


def test_records_without_id_get_the_same_id_on_every_delivery() -> None:
    record = product_json()
    del record["id"]
    message = IngestMessage(raw_records=[record, record], import_id="i1", part=2)
    first, _ = validate_records(message, "m1")
    again, _ = validate_records(message, "m2")
    assert [r.item["id"] for r in first] == [r.item["id"] for r in again]
    assert first[0].item["id"] != first[1].item["id"]


class Recorder:
    """Stands in for the consumer's collaborators: an executor whose outcomes are scripted,
    import progress that answers with a given part count, and the rejects that were sent."""

    def __init__(self, *, outcome: Outcome | None = None, count: PartCount = PartCount.COUNTED):
        self.outcome = outcome
        self.count = count
        self.sent: list[Reject] = []

    async def write(self, records: list[Record], *, budget: object) -> WriteReport:
        outcomes = [
            self.outcome or Outcome(index=record.index, kind=OutcomeKind.WRITTEN)
            for record in records
        ]
        return WriteReport(outcomes=outcomes)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def executor() -> Recorder:
            return self

        async def not_recorded(**_: object) -> bool:
            return False

        async def record_part(**_: object) -> PartRecord:
            return PartRecord(self.count)

        async def store_rejects(*_: object, **__: object) -> None:
            return None

        async def send_rejects(rejects: list[Reject], **_: object) -> None:
            self.sent.extend(rejects)

        monkeypatch.setattr(consumer, "shared_executor", executor)
        monkeypatch.setattr(consumer.progress, "part_recorded", not_recorded)
        monkeypatch.setattr(consumer.progress, "record_part", record_part)
        monkeypatch.setattr(consumer, "send_rejects", send_rejects)
        monkeypatch.setattr(consumer, "store_rejects", store_rejects)
        monkeypatch.setattr(
            consumer, "get_settings", lambda: SimpleNamespace(writer_retry_budget_seconds=5)
        )


def part_message(*products: dict[str, object]) -> bytes:
    return json.dumps({"importId": "i1", "part": 0, "products": list(products)}).encode()


def test_a_message_left_to_retry_raises_retry_later_caused_by_the_last_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cause = http_error(503)
    retry = Outcome(index=0, kind=OutcomeKind.RETRY, reason="Cosmos DB status 503", error=cause)
    Recorder(outcome=retry).install(monkeypatch)
    with pytest.raises(consumer.RetryLater) as raised:
        asyncio.run(consumer.ingest(part_message(product_json()), message_id="m1"))
    assert raised.value.__cause__ is cause


def test_a_part_of_an_unknown_import_is_logged_and_reported_as_a_reject(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(count=PartCount.UNKNOWN_IMPORT)
    recorder.install(monkeypatch)
    summary = asyncio.run(consumer.ingest(part_message(product_json()), message_id="m1"))
    assert summary.part_count is PartCount.UNKNOWN_IMPORT and summary.written == 1
    (orphan,) = recorder.sent
    assert orphan.status == 404 and "i1 does not exist" in orphan.reason
    assert any(r.levelname == "ERROR" and "i1" in r.getMessage() for r in caplog.records)


def test_a_part_another_delivery_counted_first_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder(count=PartCount.ALREADY_COUNTED)
    recorder.install(monkeypatch)
    noted: list[str] = []

    async def note_duplicate_delivery(*, import_id: str) -> None:
        noted.append(import_id)

    monkeypatch.setattr(consumer.progress, "note_duplicate_delivery", note_duplicate_delivery)
    summary = asyncio.run(consumer.ingest(part_message(product_json()), message_id="m1"))
    assert summary.duplicate and noted == ["i1"] and recorder.sent == []


def test_a_counted_part_sends_no_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    recorder.install(monkeypatch)
    summary = asyncio.run(consumer.ingest(part_message(product_json()), message_id="m1"))
    assert summary.part_count is PartCount.COUNTED and recorder.sent == []

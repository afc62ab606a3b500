from __future__ import annotations

import json

from shared.ingest.consumer import Reject, reject_entry, validate_records
from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, IngestMessage
from tests.factories import product_json


def test_valid_records_become_items_and_invalid_ones_rejects_with_reasons() -> None:
    message = IngestMessage(records=[product_json(), {"categoryId": "c", "price": -1}, "text"])
    records, rejects = validate_records(message, "m1")
    assert [r.index for r in records] == [0]
    assert [(r.index, r.status) for r in rejects] == [(1, 400), (2, 400)]
    assert "price" in rejects[0].reason and "name" in rejects[0].reason


def test_records_without_id_get_the_same_id_on_every_delivery() -> None:
    record = product_json()
    del record["id"]
    message = IngestMessage(records=[record, record], import_id="i1", part=2)
    first, _ = validate_records(message, "m1")
    again, _ = validate_records(message, "m2")
    assert [r.item["id"] for r in first] == [r.item["id"] for r in again]
    assert first[0].item["id"] != first[1].item["id"]


def test_reject_entry_names_import_message_index_status_and_reason() -> None:
    message = IngestMessage(records=[], import_id="i1", part=4)
    entry = json.loads(
        reject_entry(Reject(7, 400, "price: too low", record={"id": "x"}), message, "m1")
    )
    assert entry == {
        "importId": "i1",
        "part": 4,
        "messageId": "m1",
        "index": 7,
        "status": 400,
        "reason": "price: too low",
        "record": {"id": "x"},
    }


def test_reject_entry_always_fits_in_a_queue_message() -> None:
    huge = {"id": "x", "blob": "y" * 100_000}
    text = reject_entry(Reject(0, 413, "too large", record=huge), None, "m1")
    assert len(text.encode()) <= MAX_MESSAGE_JSON_BYTES
    assert json.loads(text)["truncated"].startswith('{"id": "x"')

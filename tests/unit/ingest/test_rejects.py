"""A reject says where its record came from and why, and always fits in a queue message."""

from __future__ import annotations

import json

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, IngestMessage
from shared.ingest.rejects import Reject, reject_entry
from shared.platform.utf8_json import utf8_size


def test_reject_entry_names_import_message_index_status_and_reason() -> None:
    message = IngestMessage(raw_records=[], import_id="i1", part=4)
    reject = Reject(index=7, status=400, reason="price: too low", record={"id": "x"})
    assert reject_entry(reject, message=message, message_id="m1") == {
        "importId": "i1",
        "part": 4,
        "messageId": "m1",
        "index": 7,
        "status": 400,
        "reason": "price: too low",
        "record": {"id": "x"},
    }


def test_a_record_json_cannot_carry_travels_as_raw_text() -> None:
    reject = Reject(index=0, status=400, reason="NaN", raw='{"price": nan}')
    entry = reject_entry(reject, message=None, message_id="m1")
    assert entry["raw"] == '{"price": nan}' and "record" not in entry
    assert entry["importId"] is None and entry["part"] is None


def test_reject_entry_always_fits_in_a_queue_message() -> None:
    huge = {"id": "x", "blob": "y" * 100_000}
    reject = Reject(index=0, status=413, reason="too large", record=huge)
    entry = reject_entry(reject, message=None, message_id="m1")
    assert utf8_size(entry) <= MAX_MESSAGE_JSON_BYTES
    assert entry["truncated"].startswith('{"id":"x"') and "record" not in entry


def test_a_record_of_escaped_text_is_cut_by_its_final_encoded_size() -> None:
    # A field holding JSON text: every quote is escaped once in the record and again in the
    # truncated text, so 32,000 characters of it would encode to far more than a message holds.
    record = {"id": "x", "payload": json.dumps([{"k": '"q"'}] * 4_000)}
    entry = reject_entry(
        Reject(index=0, status=400, reason="r", record=record), message=None, message_id="m1"
    )
    assert utf8_size(entry) <= MAX_MESSAGE_JSON_BYTES
    assert len(entry["truncated"]) > 10_000


def test_non_ascii_text_is_cut_by_its_utf8_size() -> None:
    reject = Reject(index=0, status=400, reason="r", record={"id": "x", "d": "é字" * 30_000})
    entry = reject_entry(reject, message=None, message_id="m1")
    assert utf8_size(entry) <= MAX_MESSAGE_JSON_BYTES
    assert entry["truncated"].startswith('{"id":"x"')


def test_a_24_kb_cjk_record_travels_whole_not_counted_as_its_48_kb_of_escapes() -> None:
    record = {"id": "x", "description": "字" * 8_000}
    entry = reject_entry(
        Reject(index=0, status=400, reason="r", record=record), message=None, message_id="m1"
    )
    assert entry["record"] == record and "truncated" not in entry

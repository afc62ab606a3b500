"""An import body becomes numbered parts that follow its bytes and fit a queue message."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, parse_message
from shared.ingest.packing import CategoryWindow, PartPacker, import_records
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.json_stream import JsonRecord
from shared.platform.limits import JSON_MEDIA_TYPE as JSON
from shared.platform.limits import NDJSON_MEDIA_TYPE as NDJSON

QUEUE_MESSAGE_LIMIT = 64 * 1024


def products(count: int, categories: int = 5) -> list[dict[str, object]]:
    return [
        {"id": str(uuid.uuid4()), "categoryId": f"c{n % categories}", "name": "word", "price": 10.5}
        for n in range(count)
    ]


def packed(import_id: str, records: list[dict[str, object]]) -> list[str]:
    packer = PartPacker(import_id)
    texts = (json.dumps(record, ensure_ascii=False) for record in records)
    parts = [part for text in texts if (part := packer.add(text))]
    last = packer.finish()
    return parts + ([last] if last else [])


def test_json_array_and_ndjson_bodies_give_the_same_records() -> None:
    records = products(10)
    array = list(import_records(json.dumps(records).encode(), JSON))
    lines = list(import_records("\n".join(map(json.dumps, records)).encode(), NDJSON))
    assert [r.value for r in array] == [r.value for r in lines] == records


@pytest.mark.parametrize(
    ("body", "media_type"), [(b'{"a": 1}', JSON), (b"[{", JSON), (b'{"a": 1}\n{', NDJSON)]
)
def test_malformed_bodies_are_a_bad_request(body: bytes, media_type: str) -> None:
    with pytest.raises(BadRequestError):
        list(import_records(body, media_type))


def test_every_record_lands_once_in_order_in_numbered_parts_that_fit_the_queue() -> None:
    records = products(3000)
    parts = [parse_message(text.encode()) for text in packed("import-1", records)]
    assert [r for p in parts for r in p.raw_records] == records
    assert [p.part for p in parts] == list(range(len(parts)))
    assert all(
        len(base64.b64encode(text.encode())) <= QUEUE_MESSAGE_LIMIT
        for text in packed("import-1", records)
    )


def test_packing_follows_bytes_not_categories() -> None:
    records = products(20_000, categories=20_000)  # one product per category
    parts = packed("import-1", records)
    body_bytes = sum(len(json.dumps(r)) + 1 for r in records)
    assert len(parts) <= body_bytes // (MAX_MESSAGE_JSON_BYTES - 200) + 1
    assert len(parts) < 100


def test_a_part_is_measured_in_utf8_bytes() -> None:
    wide = {"id": "x", "categoryId": "c", "description": "字" * 5_000}  # 15,000 bytes of UTF-8
    parts = packed("import-1", [wide] * 12)
    assert len(parts) == 4  # three 15 KB records per 48 KB part
    assert all(len(text.encode()) <= MAX_MESSAGE_JSON_BYTES for text in parts)


def test_a_record_too_large_for_a_queue_message_is_413_naming_it() -> None:
    with pytest.raises(PayloadTooLargeError, match="Record 1 is 60"):
        packed("i", [{"id": "a"}, {"id": "b", "blob": "x" * 60_000}])


def test_the_packer_says_where_each_record_went() -> None:
    packer = PartPacker("i")
    places = []
    for record in products(2000):
        packer.add(json.dumps(record))
        places.append(packer.last_placed)
    assert places[0] == (0, 0)
    assert places[-1][0] == packer.parts and places[-1][1] > 0
    boundaries = [n for n in range(1, 2000) if places[n][1] == 0]
    assert [places[n][0] for n in boundaries] == list(range(1, packer.parts + 1))


def test_a_window_groups_records_by_category_keeping_their_order() -> None:
    window = CategoryWindow(limit=10_000)
    values: list[Any] = [{"categoryId": c, "n": n} for n, c in enumerate("babcab")] + [7]
    for number, value in enumerate(values):
        window.add(number, JsonRecord(value, json.dumps(value)))
    assert [number for number, *_ in window.drain()] == [6, 1, 4, 0, 2, 5, 3]
    assert window.drain() == []


def test_a_window_is_full_at_its_limit_in_bytes() -> None:
    window = CategoryWindow(limit=100)
    window.add(0, JsonRecord({}, "x" * 99))
    assert not window.full
    window.add(1, JsonRecord({}, "x"))
    assert window.full


def test_a_record_sent_with_escapes_is_packed_as_utf8_text_and_reads_back_the_same() -> None:
    """24 KB of CJK text is 48 KB of \\uXXXX escapes, more than a part holds."""
    product = {"id": "p1", "categoryId": "c", "name": "字" * 8_000, "price": 0.1, "n": 2**53 - 1}
    (record,) = import_records(json.dumps([product]).encode(), JSON)
    window = CategoryWindow()
    window.add(0, record)
    ((_, _, _, text),) = window.drain()
    assert len(text.encode()) < 25_000
    (part,) = packed("i1", [json.loads(text)])
    assert parse_message(part.encode()).raw_records == [product]


def test_a_record_without_escapes_keeps_its_text_as_sent() -> None:
    text = '{"id": "p1",  "categoryId": "c", "name": "é", "price": 1.50}'
    (record,) = import_records(text.encode(), NDJSON)
    window = CategoryWindow()
    window.add(0, record)
    assert window.drain()[0][3] == text

"""An import body becomes numbered parts that follow its bytes and fit a queue message."""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from shared.ingest.messages import (
    DEFLATED_PRODUCTS,
    MAX_MESSAGE_JSON_BYTES,
    MAX_PART_RECORDS,
    parse_message,
)
from shared.ingest.packing import CategoryWindow, PackedPart, PartPacker, import_records
from shared.ingest.supersession import ItemKey
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.json_stream import JsonRecord
from shared.platform.limits import JSON_MEDIA_TYPE as JSON
from shared.platform.limits import NDJSON_MEDIA_TYPE as NDJSON
from tests.factories import IMPORT_ID

QUEUE_MESSAGE_LIMIT = 64 * 1024


def products(count: int, categories: int = 5) -> list[dict[str, object]]:
    return [
        {"id": str(uuid.uuid4()), "categoryId": f"c{n % categories}", "name": "word", "price": 10.5}
        for n in range(count)
    ]


def packed_by(
    packer: PartPacker, entries: Iterable[tuple[int, ItemKey | None, str]]
) -> list[PackedPart]:
    """As the intake packs: each part as soon as its records are gathered, in turn."""
    parts = []
    for number, key, text in entries:
        if gathered := packer.add(number, key, text):
            parts += packer.pack(gathered)
    if last := packer.finish():
        parts += packer.pack(last)
    return parts


def packed_parts(import_id: str, records: list[dict[str, object]]) -> list[PackedPart]:
    texts = (json.dumps(record, ensure_ascii=False) for record in records)
    return packed_by(PartPacker(import_id), ((n, None, text) for n, text in enumerate(texts)))


def packed(import_id: str, records: list[dict[str, object]]) -> list[str]:
    return [part.text for part in packed_parts(import_id, records)]


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
    parts = [parse_message(text.encode()) for text in packed(IMPORT_ID, records)]
    assert [r for p in parts for r in p.raw_records] == records
    assert [p.part for p in parts] == list(range(len(parts)))
    assert all(
        len(base64.b64encode(text.encode())) <= QUEUE_MESSAGE_LIMIT
        for text in packed(IMPORT_ID, records)
    )


def test_packing_follows_bytes_not_categories() -> None:
    records = products(20_000, categories=20_000)  # one product per category
    parts = packed(IMPORT_ID, records)
    body_bytes = sum(len(json.dumps(r)) + 1 for r in records)
    assert len(parts) <= body_bytes // (MAX_MESSAGE_JSON_BYTES - 200) + 1
    assert len(parts) < 100


def test_a_part_is_deflated_and_carries_about_three_times_the_records_of_a_plain_one() -> None:
    records = products(20_000)
    parts = packed(IMPORT_ID, records)
    plain_parts = sum(len(json.dumps(r)) + 1 for r in records) / MAX_MESSAGE_JSON_BYTES
    assert all(DEFLATED_PRODUCTS in json.loads(text) for text in parts)
    assert len(parts) < plain_parts / 2.5
    assert [r for text in parts for r in parse_message(text.encode()).raw_records] == records


def wide_records(count: int, *, characters: int, seed: int = 1) -> list[dict[str, object]]:
    """Records of random CJK text (three bytes of UTF-8 a character), which deflates poorly."""
    chosen = random.Random(seed)
    return [
        {"id": f"p{n}", "categoryId": "c", "name": "".join(
            chr(chosen.randrange(0x4E00, 0x9FFF)) for _ in range(characters)
        )}
        for n in range(count)
    ]  # fmt: skip


def test_every_part_fits_a_queue_message_by_its_final_size_deflated_or_plain() -> None:
    noise = random.Random(2)
    letters = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_`{|}~ "
    barely_deflating = [
        {"id": f"n{n}", "categoryId": "c", "blob": "".join(noise.choices(letters, k=47_000))}
        for n in range(2)
    ]
    records = wide_records(12, characters=5_000) + products(3000) + barely_deflating
    parts = packed(IMPORT_ID, records)
    assert all(len(text.encode()) <= MAX_MESSAGE_JSON_BYTES for text in parts)
    assert [r for text in parts for r in parse_message(text.encode()).raw_records] == records
    shapes = {"products" in json.loads(text) for text in parts}
    assert shapes == {True, False}  # the 47 KB records go plain: deflated, they would not fit


def test_a_part_that_deflates_worse_than_expected_is_split_and_still_fits() -> None:
    packer = PartPacker(IMPORT_ID)
    packer._ratio = 50.0  # as if the previous part had deflated fifty to one
    texts = [json.dumps(record, ensure_ascii=False) for record in wide_records(40, characters=500)]
    parts = packed_by(packer, ((number, None, text) for number, text in enumerate(texts)))
    assert len(parts) > 1
    assert all(len(part.text) <= MAX_MESSAGE_JSON_BYTES for part in parts)
    assert [number for part in parts for number, _ in part.records] == list(range(40))
    assert [part.number for part in parts] == list(range(len(parts)))


def test_a_part_holds_at_most_the_records_a_deflated_part_may() -> None:
    parts = packed_parts(IMPORT_ID, [{} for _ in range(25_000)])
    assert [len(part.records) for part in parts] == [MAX_PART_RECORDS] * 2 + [5_000]


def test_a_record_too_large_for_a_queue_message_is_413_naming_it() -> None:
    with pytest.raises(PayloadTooLargeError, match="Record 1 is 60"):
        packed(IMPORT_ID, [{"id": "a"}, {"id": "b", "blob": "x" * 60_000}])


def test_each_part_names_its_records_in_order_and_parts_are_numbered_in_turn() -> None:
    packer = PartPacker(IMPORT_ID)
    keys = [bytes([n % 256]) * 16 for n in range(5000)]
    records = enumerate(products(5000))
    parts = packed_by(packer, ((n, keys[n], json.dumps(record)) for n, record in records))
    assert [part.number for part in parts] == list(range(len(parts))) and len(parts) > 1
    placed = [entry for part in parts for entry in part.records]
    assert placed == list(zip(range(5000), keys, strict=True))


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
    (part,) = packed(IMPORT_ID, [json.loads(text)])
    assert parse_message(part.encode()).raw_records == [product]


def test_a_record_without_escapes_keeps_its_text_as_sent() -> None:
    text = '{"id": "p1",  "categoryId": "c", "name": "é", "price": 1.50}'
    (record,) = import_records(text.encode(), NDJSON)
    window = CategoryWindow()
    window.add(0, record)
    assert window.drain()[0][3] == text

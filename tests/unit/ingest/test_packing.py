from __future__ import annotations

import base64
import json
import uuid

import pytest

from shared.ingest.messages import parse_message
from shared.ingest.packing import iter_records, pack_messages, plan_import
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.limits import JSON_MEDIA_TYPE as JSON
from shared.platform.limits import NDJSON_MEDIA_TYPE as NDJSON

QUEUE_MESSAGE_LIMIT = 64 * 1024


def products(count: int, categories: int = 5) -> list[dict[str, object]]:
    return [
        {"id": str(uuid.uuid4()), "categoryId": f"c{n % categories}", "name": "word", "price": 10.5}
        for n in range(count)
    ]


def test_json_array_records_are_read_one_by_one() -> None:
    assert list(iter_records(b'[{"a": 1.5}, {"b": null}]', JSON)) == [{"a": 1.5}, {"b": None}]


def test_ndjson_records_skip_blank_lines() -> None:
    assert list(iter_records(b'{"a": 1}\n\n{"b": 2}\n', NDJSON)) == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("body", "media_type"), [(b'{"a": 1}', JSON), (b"[{", JSON), (b'{"a": 1}\n{', NDJSON)]
)
def test_malformed_bodies_are_a_bad_request(body: bytes, media_type: str) -> None:
    with pytest.raises(BadRequestError):
        list(iter_records(body, media_type))


def test_every_record_lands_in_exactly_one_message_that_fits_the_queue() -> None:
    records = products(3000)
    messages = list(pack_messages("import-1", iter(records)))
    parsed = [parse_message(m.encode()) for m in messages]
    assert sorted(r["id"] for p in parsed for r in p.raw_records) == sorted(
        r["id"] for r in records
    )
    assert [p.part for p in parsed] == list(range(len(messages)))
    assert all(len(base64.b64encode(m.encode())) <= QUEUE_MESSAGE_LIMIT for m in messages)


def test_messages_hold_one_category_each_in_record_order() -> None:
    records = products(2000, categories=4)
    for message in pack_messages("import-1", iter(records)):
        parsed = parse_message(message.encode()).raw_records
        assert len({r["categoryId"] for r in parsed}) == 1
        positions = [records.index(r) for r in parsed]
        assert positions == sorted(positions)


def test_a_record_too_large_for_a_queue_message_is_413() -> None:
    with pytest.raises(PayloadTooLargeError, match="Record 1"):
        list(pack_messages("i", iter([{"id": "a"}, {"id": "b", "blob": "x" * 60_000}])))


def test_plan_counts_records_and_messages() -> None:
    records = products(1000)
    body = json.dumps(records).encode()
    plan = plan_import("import-1", body, JSON)
    assert plan.record_count == 1000
    assert plan.messages == len(list(pack_messages("import-1", iter(records))))


def test_an_empty_import_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError):
        plan_import("i", b"[]", JSON)

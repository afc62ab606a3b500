from __future__ import annotations

import json
import zlib

import pytest

from shared.ingest.messages import (
    MAX_PART_JSON_BYTES,
    MAX_PART_RECORDS,
    MalformedMessage,
    deflated_import_message,
    import_message,
    parse_message,
)
from shared.platform.json_input import MAX_DEPTH
from shared.platform.json_numbers import RefusedNumber


def test_import_part_carries_its_import_and_part() -> None:
    body = json.dumps({"importId": "i1", "part": 3, "products": [{"id": "a"}]}).encode()
    message = parse_message(body)
    assert (message.import_id, message.part, message.raw_records) == ("i1", 3, [{"id": "a"}])


def test_a_bare_array_is_a_list_of_products() -> None:
    message = parse_message(b'[{"id": "a"}, {"id": "b"}]')
    assert message.raw_records == [{"id": "a"}, {"id": "b"}] and message.import_id is None


def test_a_bare_object_is_one_product() -> None:
    assert parse_message(b'{"id": "a"}').raw_records == [{"id": "a"}]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"42",
        b'"text"',
        b'{"products": {}}',
        b'{"products": [], "part": -1}',
        b'{"products": [], "importId": 5}',
    ],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_import_message_round_trips() -> None:
    text = import_message("i1", 7, [json.dumps({"id": "a"}), json.dumps({"id": "b"})])
    message = parse_message(text.encode())
    assert (message.import_id, message.part, message.raw_records) == (
        "i1",
        7,
        [{"id": "a"}, {"id": "b"}],
    )


def test_a_message_without_refused_numbers_is_known_to_hold_none() -> None:
    message = parse_message(b'[{"id": "a", "price": 1.5}, {"id": "b", "price": 2}]')
    assert message.may_hold_refused_numbers is False


def test_a_refused_number_is_marked_only_in_the_record_that_holds_it() -> None:
    message = parse_message(b'{"importId": "i", "part": 0, "products": [{"p": 1}, {"p": NaN}]}')
    assert message.may_hold_refused_numbers is True
    good, bad = message.raw_records
    assert good == {"p": 1} and isinstance(bad["p"], RefusedNumber)


def deflated(products_json: bytes, *, import_id: str = "i1", part: int = 0) -> bytes:
    return deflated_import_message(import_id, part, zlib.compress(products_json)).encode()


def test_a_deflated_part_reads_as_its_products() -> None:
    products = [{"id": "a", "price": 1.5}, {"id": "b", "name": "é"}]
    message = parse_message(deflated(json.dumps(products, ensure_ascii=False).encode(), part=4))
    assert (message.import_id, message.part, message.raw_records) == ("i1", 4, products)
    assert message.may_hold_refused_numbers is False


def test_a_refused_number_in_a_deflated_part_is_marked_in_its_record() -> None:
    message = parse_message(deflated(b'[{"p": 1}, {"p": 1e400}]'))
    good, bad = message.raw_records
    assert message.may_hold_refused_numbers and good == {"p": 1}
    assert isinstance(bad["p"], RefusedNumber)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"importId": "i", "part": 0, "productsZlib": "***"}', "not a base64 zlib stream"),
        (b'{"importId": "i", "part": 0, "productsZlib": 7}', "must be a base64 string"),
        ('{"importId": "i", "part": 0, "productsZlib": "été"}'.encode(), "not a base64"),
        (b'{"importId": "i", "part": 0, "productsZlib": "aGVsbG8="}', "not a base64 zlib"),
        (deflated(b"[{}]")[:-10] + b'"}', "cut short"),
        (deflated(b"[" + b"0," * (MAX_PART_JSON_BYTES // 2) + b"0]"), "expands beyond"),
        (deflated(b"[" + b"{}," * MAX_PART_RECORDS + b"{}]"), "at most 10,000 records"),
        (deflated(b'{"id": "a"}'), "products must be a JSON array"),
        (deflated(b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2)), "nest"),
        (deflated(b'[{"id": "a"'), "not valid JSON"),
    ],
    ids=["base64", "type", "non-ascii", "zlib", "cut", "bomb", "records", "object", "deep", "json"],
)
def test_a_deflated_part_that_cannot_be_read_or_expands_too_far_is_malformed(
    body: bytes, says: str
) -> None:
    with pytest.raises(MalformedMessage, match=says):
        parse_message(body)

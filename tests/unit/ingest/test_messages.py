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
from tests.factories import IMPORT_ID


def test_import_part_carries_its_import_and_part() -> None:
    body = json.dumps({"importId": IMPORT_ID, "part": 3, "products": [{"id": "a"}]}).encode()
    message = parse_message(body)
    assert (message.import_id, message.part, message.raw_records) == (
        IMPORT_ID,
        3,
        [{"id": "a"}],
    )


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
    text = import_message(
        IMPORT_ID,
        7,
        [json.dumps({"id": "a"}), json.dumps({"id": "b"})],
    )
    message = parse_message(text.encode())
    assert (message.import_id, message.part, message.raw_records) == (
        IMPORT_ID,
        7,
        [{"id": "a"}, {"id": "b"}],
    )


def test_a_message_without_refused_numbers_is_known_to_hold_none() -> None:
    message = parse_message(b'[{"id": "a", "price": 1.5}, {"id": "b", "price": 2}]')
    assert message.may_hold_refused_numbers is False


def test_a_refused_number_is_marked_only_in_the_record_that_holds_it() -> None:
    message = parse_message(
        f'{{"importId": "{IMPORT_ID}", "part": 0, "products": [{{"p": 1}}, {{"p": NaN}}]}}'.encode()
    )
    assert message.may_hold_refused_numbers is True
    good, bad = message.raw_records
    assert good == {"p": 1} and isinstance(bad["p"], RefusedNumber)


def deflated(products_json: bytes, *, import_id: str = IMPORT_ID, part: int = 0) -> bytes:
    return deflated_import_message(import_id, part, zlib.compress(products_json)).encode()


def test_a_deflated_part_reads_as_its_products() -> None:
    products = [{"id": "a", "price": 1.5}, {"id": "b", "name": "é"}]
    message = parse_message(deflated(json.dumps(products, ensure_ascii=False).encode(), part=4))
    assert (message.import_id, message.part, message.raw_records) == (
        IMPORT_ID,
        4,
        products,
    )
    assert message.may_hold_refused_numbers is False


def test_a_refused_number_in_a_deflated_part_is_marked_in_its_record() -> None:
    message = parse_message(deflated(b'[{"p": 1}, {"p": 1e400}]'))
    good, bad = message.raw_records
    assert message.may_hold_refused_numbers and good == {"p": 1}
    assert isinstance(bad["p"], RefusedNumber)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            f'{{"importId": "{IMPORT_ID}", "part": 0, "productsZlib": "***"}}'.encode(),
            "not a base64 zlib stream",
        ),
        (
            f'{{"importId": "{IMPORT_ID}", "part": 0, "productsZlib": 7}}'.encode(),
            "must be a base64 string",
        ),
        (
            f'{{"importId": "{IMPORT_ID}", "part": 0, "productsZlib": "été"}}'.encode(),
            "not a base64",
        ),
        (
            f'{{"importId": "{IMPORT_ID}", "part": 0, "productsZlib": "aGVsbG8="}}'.encode(),
            "not a base64 zlib",
        ),
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


@pytest.mark.parametrize(
    "import_id", ["i1", "a\r\nb\u0000c", "x" * 3000, IMPORT_ID + "0", "{" + IMPORT_ID + "}", ""]
)
def test_an_import_id_that_the_api_could_not_have_issued_makes_the_message_malformed(
    import_id: str,
) -> None:
    body = json.dumps({"importId": import_id, "part": 0, "products": [{"id": "a"}]}).encode()
    with pytest.raises(MalformedMessage, match="importId must be an import's id"):
        parse_message(body)


def test_an_import_id_in_capitals_is_still_a_uuid() -> None:
    body = json.dumps({"importId": IMPORT_ID.upper(), "part": 0, "products": []}).encode()
    assert parse_message(body).import_id == IMPORT_ID.upper()


def test_data_after_the_zlib_stream_makes_the_message_malformed() -> None:
    stream = zlib.compress(b'[{"id": "a"}]') + b"extra"
    body = deflated_import_message(IMPORT_ID, 0, stream).encode()
    with pytest.raises(MalformedMessage, match="data after its zlib stream"):
        parse_message(body)


def test_a_record_naming_a_member_twice_is_marked_and_the_others_kept() -> None:
    body = b'[{"id": "a", "id": "b"}, {"id": "c"}, {"id": "d", "x": {"y": 1, "y": 2}}]'
    message = parse_message(body)
    assert message.may_hold_refused_numbers is True
    assert [type(record).__name__ for record in message.raw_records] == [
        "DuplicatedMembers",
        "dict",
        "dict",
    ]
    assert type(message.raw_records[2]["x"]).__name__ == "DuplicatedMembers"

from __future__ import annotations

import json

import pytest

from shared.ingest.messages import MalformedMessage, import_message, parse_message
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

"""Large JSON bodies are read record by record from their bytes, with the rules of `loads`."""

from __future__ import annotations

import json
import threading

import pytest

from shared.platform.json_input import MAX_DEPTH, JsonInputError
from shared.platform.json_stream import RecordError, array_records, ndjson_records

ARRAY = (
    ' \n[ 1 , {"a": -4158241526951916, "e": 1.5e-3} , "x\\"y" ,'
    ' [1e5, -12.25E+2], "\\ud83d\\ude0d", "été 字", null, true ] \n'
).encode()
ITEMS = [
    1,
    {"a": -4158241526951916, "e": 1.5e-3},
    'x"y',
    [1e5, -12.25e2],
    "\U0001f60d",
    "été 字",
    None,
    True,
]


@pytest.mark.parametrize("chunk_bytes", range(1, len(ARRAY) + 2))
def test_array_items_are_read_exactly_whatever_the_chunk_boundaries(chunk_bytes: int) -> None:
    records = list(array_records(ARRAY, chunk_bytes=chunk_bytes))
    assert [record.value for record in records] == ITEMS
    assert [json.loads(record.text) for record in records] == ITEMS


def test_a_record_keeps_its_text_as_sent() -> None:
    body = b'[{"b": 2,  "a": [1.50]}]'
    (record,) = array_records(body)
    assert record.text == '{"b": 2,  "a": [1.50]}'


@pytest.mark.parametrize(
    "body", [b"[1,]", b"[1 2]", b"[1] x", b"{}", b"[NaN]", b"[1", b"", b"[1e400]", b"[-Infinity]"]
)
def test_a_malformed_array_is_refused(body: bytes) -> None:
    with pytest.raises(JsonInputError):
        list(array_records(body, chunk_bytes=2))


def test_an_empty_array_has_no_records() -> None:
    assert list(array_records(b" [ ] ")) == []


@pytest.mark.parametrize("reader", [array_records, ndjson_records])
def test_a_leading_byte_order_mark_is_ignored(reader: object) -> None:
    body = b'\xef\xbb\xbf[{"a": 1}]' if reader is array_records else b'\xef\xbb\xbf{"a": 1}\n'
    assert [record.value for record in reader(body)] == [{"a": 1}]  # type: ignore[operator]


def test_nesting_at_the_limit_is_read_and_beyond_it_refused() -> None:
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert len(list(array_records(f"[{deepest}]".encode()))) == 1
    too_deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(JsonInputError, match="Record 0"):
        list(array_records(f"[{too_deep}]".encode()))


def test_nesting_a_parser_cannot_follow_is_refused_without_a_recursion_error() -> None:
    with pytest.raises(JsonInputError, match="nests"):
        list(array_records(b"[" + b"[" * 200_000))


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps(["[{" * 100])
    assert [record.value for record in array_records(text.encode())] == ["[{" * 100]


@pytest.mark.parametrize("reader", [array_records, ndjson_records])
def test_invalid_utf8_is_refused(reader: object) -> None:
    body = b'["\xff"]' if reader is array_records else b'"\xff"\n'
    with pytest.raises(JsonInputError, match="UTF-8"):
        list(reader(body))  # type: ignore[operator]


def test_an_error_names_the_record_and_its_position_never_its_text() -> None:
    body = b'[{"a": 1}, {"secret": tru}]'
    with pytest.raises(JsonInputError) as caught:
        list(array_records(body))
    assert "Record 1 (character 11)" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_a_malformed_record_stops_the_reader_before_the_rest_is_decoded() -> None:
    body = b'[{"a": oops}' + b', {"a": 1}' * 1_000_000
    records = array_records(body, chunk_bytes=4096)
    with pytest.raises(JsonInputError, match="Record 0"):
        next(records)


def test_ndjson_records_skip_blank_lines_and_carriage_returns() -> None:
    body = b'{"a": 1}\r\n\n  \n{"b": 2}'
    assert [(r.value, r.text) for r in ndjson_records(body)] == [
        ({"a": 1}, '{"a": 1}'),
        ({"b": 2}, '{"b": 2}'),
    ]


def test_a_malformed_ndjson_line_is_named_by_its_number() -> None:
    with pytest.raises(JsonInputError, match="Line 3"):
        list(ndjson_records(b'{"a": 1}\n\n{"a": \n'))


NDJSON = '\ufeff{"a": 1.5e2}\r\n\n  12345 \n"été"\n[1, {"b": null}]'.encode()


@pytest.mark.parametrize("chunk_bytes", range(1, len(NDJSON) + 2))
def test_ndjson_lines_are_read_exactly_whatever_the_chunk_boundaries(chunk_bytes: int) -> None:
    values = [record.value for record in ndjson_records(NDJSON, chunk_bytes=chunk_bytes)]
    assert values == [{"a": 150.0}, 12345, "été", [1, {"b": None}]]


def test_two_values_on_one_ndjson_line_are_refused() -> None:
    with pytest.raises(JsonInputError, match="Line 2"):
        list(ndjson_records(b'{"a": 1}\n{"a": 1} {"b": 2}\n'))


NOT_JSON_SPACE = ("\u00a0", "\u2028", "\u3000", "\x85", "\x0b", "\x0c")


def _read_within_seconds(read: object, body: bytes, seconds: float = 5.0) -> BaseException | None:
    """What reading `body` raised, from a thread given `seconds` (a reader that loops forever
    fails the test instead of hanging the suite)."""
    raised: list[BaseException | None] = []

    def run() -> None:
        try:
            list(read(body))  # type: ignore[operator]
            raised.append(None)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert raised, "the reader did not return"
    return raised[0]


@pytest.mark.parametrize("space", NOT_JSON_SPACE)
@pytest.mark.parametrize("chunk_bytes", [1, 3, 64 * 1024])
def test_white_space_json_does_not_allow_is_refused_not_looped_on(
    space: str, chunk_bytes: int
) -> None:
    lines = f'{{"a":1}}\n{space}{{"a":2}}\n'.encode()
    error = _read_within_seconds(lambda b: ndjson_records(b, chunk_bytes=chunk_bytes), lines)
    assert isinstance(error, JsonInputError) and "Line 2" in str(error)
    items = f'[{{"a":1}},{space}{{"a":2}}]'.encode()
    error = _read_within_seconds(lambda b: array_records(b, chunk_bytes=chunk_bytes), items)
    assert isinstance(error, JsonInputError) and "Record 1" in str(error)
    error = _read_within_seconds(
        lambda b: ndjson_records(b, chunk_bytes=chunk_bytes), space.encode()
    )
    assert isinstance(error, JsonInputError)


def test_a_refused_ndjson_record_names_its_line_for_the_client_and_an_array_item_none() -> None:
    lines = b'{"a":1}\n\n{"a":2}\n{"a":1e400}\n'
    with pytest.raises(RecordError) as raised:
        list(ndjson_records(lines, chunk_bytes=3))
    assert raised.value.line == 4 and str(raised.value).startswith("Line 4")
    with pytest.raises(RecordError) as raised:
        list(array_records(b'[{"a":1}, {"a":1e400}]'))
    assert raised.value.line is None and str(raised.value).startswith("Record 1")

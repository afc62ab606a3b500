"""A products file read one record at a time: arrays and NDJSON, whatever the chunking."""

from __future__ import annotations

import io
import json

import pytest

from catalog_import import records
from catalog_import.errors import FileFormatError, RecordTooLargeError
from catalog_import.records import read_records

PRODUCTS = [
    {
        "id": "p1",
        "categoryId": "c",
        "name": 'quote " backslash \\ brackets [x] {y}, ü',
        "price": 1.5,
    },
    {"id": "p2", "categoryId": "c", "name": "n", "price": 2, "tags": ["a", "b"], "n": {"k": [1]}},
    {"id": "p3", "categoryId": "c", "name": "n", "price": 123456789012345678901234567890},
]


def read(data: bytes) -> list[bytes]:
    return list(read_records(io.BytesIO(data)))


@pytest.mark.parametrize("read_size", [1, 2, 7, 1 << 16])
@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "pretty"])
def test_an_array_s_records_come_out_one_per_line_whatever_the_chunks(
    monkeypatch: pytest.MonkeyPatch, read_size: int, indent: int | None
) -> None:
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    lines = read(json.dumps(PRODUCTS, indent=indent, ensure_ascii=False).encode())
    assert [json.loads(line) for line in lines] == PRODUCTS
    assert all(b"\n" not in line for line in lines)


def test_a_record_written_on_one_line_is_passed_on_as_written() -> None:
    assert read(b'[ {"price": 1.50, "id": "\\u00fc"} ]') == [b'{"price": 1.50, "id": "\\u00fc"}']


def test_a_record_spread_over_lines_keeps_its_text_and_numbers_as_written() -> None:
    """Written again by a serializer, 字 would become \\u5b57 (twice its UTF-8 size) and 0.10
    would become 0.1; a record's own text is what the API must measure and store."""
    data = '[\n  {"name": "字",\r\n   "price": 0.10000000000000000001}\n]'.encode()
    assert read(data) == ['{"name": "字",     "price": 0.10000000000000000001}'.encode()]


def test_ndjson_lines_come_out_as_they_are_without_blank_lines() -> None:
    text = b"".join(json.dumps(p).encode() + b"\r\n\n" for p in PRODUCTS) + b'{"last": 1}'
    assert [json.loads(line) for line in read(text)] == [*PRODUCTS, {"last": 1}]


@pytest.mark.parametrize(
    "data", [b"", b"  \n ", b"[]", b" [ ] \n"], ids=["empty", "blank", "[]", "[ ]"]
)
def test_a_file_without_records_has_none(data: bytes) -> None:
    assert read(data) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[1, 2", "ends inside the array"),
        (b"[1,", "ends inside the array"),
        (b"[1,,2]", "not valid JSON"),
        (b"[1 2]", "expected , or ]"),
        (b"[1] [2]", "after the array"),
        (b'["\xff"]', "not UTF-8"),
        (b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "nested too deeply"),
    ],
    ids=[
        "truncated",
        "trailing-comma",
        "empty-element",
        "no-comma",
        "two-arrays",
        "latin1",
        "deep",
    ],
)
def test_a_file_that_is_not_a_json_array_says_where(data: bytes, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read(data)


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("read_size", [1, 2, 1 << 16])
@pytest.mark.parametrize(
    "text",
    [
        json.dumps(PRODUCTS, indent=2).encode(),
        b"".join(json.dumps(p).encode() + b"\n" for p in PRODUCTS),
    ],
    ids=["array", "ndjson"],
)
def test_a_file_that_starts_with_a_utf8_byte_order_mark_is_read_as_without_it(
    monkeypatch: pytest.MonkeyPatch, read_size: int, text: bytes
) -> None:
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    assert [json.loads(line) for line in read(BOM + text)] == PRODUCTS


@pytest.mark.parametrize("read_size", [1, 3, 1 << 16])
def test_a_number_cut_by_the_end_of_a_chunk_is_read_whole(
    monkeypatch: pytest.MonkeyPatch, read_size: int
) -> None:
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    assert read(b"[1.25, -2e+10, 345, 6E-1]") == [b"1.25", b"-2e+10", b"345", b"6E-1"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'{"id": 1}\n\n{"id": 2,}\n', "line 3, column 9"),
        (b'{"id": 1}\n{"name": "\xc3\xbc\xc3\xbc", "price": x}\n', "line 2, column 25"),
        (BOM + b'\n\n  {"id" 1}\n', "line 3, column 9"),
        (b'[\n  {"id": 1},\n  {"id": 2 "x": 3}\n]', "line 3, column 12"),
        (b'\n\n[{"name": "\xc3\xbc", "price": .5}]', "line 3, column 25"),
        (b"[1, 2\n  3]", "line 2, column 3"),
        (b'{"id": 1}\n{"name": "\xc3\xbc\xff"}\n', "line 2, column 12"),
        (b'[{"id": 1},\n {"name": "\xc3\xbc\xff"}]', "line 2, column 13"),
    ],
    ids=[
        "ndjson",
        "ndjson-columns-count-characters",
        "ndjson-after-bom-and-blank-lines",
        "array",
        "array-after-blank-lines",
        "array-separator",
        "ndjson-not-utf8",
        "array-not-utf8",
    ],
)
@pytest.mark.parametrize("read_size", [1, 5, 1 << 16])
def test_a_syntax_error_is_reported_at_its_line_and_column(
    monkeypatch: pytest.MonkeyPatch, read_size: int, data: bytes, where: str
) -> None:
    monkeypatch.setattr(records, "READ_SIZE", read_size)
    with pytest.raises(FileFormatError) as raised:
        read(data)
    assert str(raised.value).endswith(f"at {where}")


class CountingStream(io.BytesIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


LARGE = 16 * 1024 * 1024
GOOD_LINE = json.dumps(PRODUCTS[1]).encode()


@pytest.mark.parametrize(
    ("first", "separator", "where"),
    [
        (b'{"id": "p0", "price": 1,, "name": "n"}', b"\n", "line 1, column 25"),
        (b'[{"id": "p0", "price": 1,, "name": "n"}', b",\n", "line 1, column 26"),
        (b'[\n  {"id": "p0" "price": 1}', b",\n", "line 2, column 15"),
    ],
    ids=["ndjson", "array", "array-second-line"],
)
def test_a_syntax_error_in_the_first_record_of_a_large_file_stops_the_reading_there(
    first: bytes, separator: bytes, where: str
) -> None:
    rest = (separator + GOOD_LINE) * (LARGE // (len(GOOD_LINE) + len(separator)))
    stream = CountingStream(first + rest)
    with pytest.raises(FileFormatError, match="not valid JSON") as raised:
        list(read_records(stream))
    assert str(raised.value).endswith(f"at {where}")
    assert stream.bytes_read <= 2 * records.READ_SIZE


@pytest.mark.parametrize(
    "data",
    [b'[{"name": "' + b"x" * LARGE + b'"}]', b'{"name": "' + b"x" * LARGE + b'"}\n'],
    ids=["array", "ndjson"],
)
def test_a_record_longer_than_a_request_stops_the_reading_once_that_much_is_read(
    data: bytes,
) -> None:
    stream = CountingStream(data)
    with pytest.raises(RecordTooLargeError, match=r"at line 1.*\(100,000 bytes\)"):
        list(read_records(stream, max_record_bytes=100_000))
    assert stream.bytes_read <= 100_000 + 4 * records.READ_SIZE


def test_a_line_longer_than_a_request_is_refused_with_its_line_number() -> None:
    data = b'{"id": 1}\n{"name": "' + b"x" * 200 + b'"}\n'
    with pytest.raises(RecordTooLargeError, match=r"^a record at line 2 is larger"):
        list(read_records(io.BytesIO(data), max_record_bytes=100))


def test_a_record_s_line_in_the_file_is_found_again_in_ndjson() -> None:
    data = b'\n{"a":1}\n\n  {"a":2}  \r\n{"a":3}\n'
    assert records.file_line_of(io.BytesIO(data), b'{"a":2}') == 4
    assert records.file_line_of(io.BytesIO(data), b'{"a":3}') == 5
    assert records.file_line_of(io.BytesIO(data), b'{"a":4}') is None


def test_a_record_s_line_in_the_file_is_found_again_in_an_array_spread_over_lines() -> None:
    data = b'[\n  {"a": 1},\n  {\n    "a": 2\n  },\n  {"a": 3}\n]\n'
    seen = read(data)
    assert [records.file_line_of(io.BytesIO(data), record) for record in seen] == [2, 3, 6]
    assert records.file_line_of(io.BytesIO(b"[]"), b'{"a":1}') is None

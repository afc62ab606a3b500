"""A products file read one record at a time: arrays and NDJSON, whatever the chunking."""

from __future__ import annotations

import io
import json

import pytest

from catalog_import import records
from catalog_import.records import FileFormatError, read_records

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

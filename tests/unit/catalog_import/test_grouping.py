"""Records of a span of the file come out category by category, none lost, order kept within."""

from __future__ import annotations

import json
from collections.abc import Iterator

from catalog_import.grouping import category_of, grouped_by_category


def line(category: object, item_id: str) -> bytes:
    return json.dumps({"categoryId": category, "id": item_id}).encode()


def ids(records: Iterator[bytes]) -> list[str]:
    return [json.loads(record)["id"] for record in records]


def test_a_span_is_given_back_category_by_category_in_order_of_first_appearance() -> None:
    records = [line("b", "1"), line("a", "2"), line("b", "3"), line("a", "4"), line("c", "5")]
    grouped = grouped_by_category(iter(records), span_bytes=10_000)
    assert ids(grouped) == ["1", "3", "2", "4", "5"]


def test_two_occurrences_of_one_product_keep_the_order_of_the_file() -> None:
    records = [line("a", "x"), line("b", "y"), line("a", "x") + b" "]
    grouped = list(grouped_by_category(iter(records), span_bytes=10_000))
    assert grouped == [records[0], records[2], records[1]]


def test_records_are_never_moved_across_spans() -> None:
    records = [line("a", "1"), line("b", "2"), line("a", "3"), line("b", "4")]
    span = len(records[0]) + len(records[1]) + 2  # the first two records fill the first span
    assert ids(grouped_by_category(iter(records), span_bytes=span)) == ["1", "2", "3", "4"]


def test_records_without_a_string_category_travel_together_unchanged() -> None:
    records = [line(7, "1"), b"[1, 2]", line("a", "2"), line(None, "3")]
    grouped = list(grouped_by_category(iter(records), span_bytes=10_000))
    assert sorted(grouped) == sorted(records)
    assert grouped[:3] == [records[0], records[1], records[3]]  # none has a string category


def test_a_span_of_zero_passes_records_on_as_they_come() -> None:
    records = [line("b", "1"), line("a", "2"), line("b", "3")]
    assert list(grouped_by_category(iter(records), span_bytes=0)) == records


def test_every_record_of_many_spans_comes_out_once() -> None:
    records = [line(f"c{n % 37}", str(n)) for n in range(5_000)]
    grouped = ids(grouped_by_category(iter(records), span_bytes=4_096))
    assert sorted(grouped, key=int) == [str(n) for n in range(5_000)]


def test_the_category_is_read_only_from_an_object_with_a_string_category() -> None:
    assert category_of(line("shoes", "1")) == "shoes"
    assert category_of(line(3, "1")) is None
    assert category_of(b'"text"') is None

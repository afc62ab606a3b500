"""Within one import, the last occurrence of a product (categoryId and id) wins."""

from __future__ import annotations

from typing import Any

from shared.ingest.supersession import (
    LastOccurrences,
    SeenFilter,
    Supersession,
    item_key,
)


def placed(values: list[Any], per_part: int) -> LastOccurrences:
    occurrences = LastOccurrences()
    for number, value in enumerate(values):
        part, index = number // per_part, number % per_part
        occurrences.place(item_key(value), number=number, part=part, index=index)
    return occurrences


def item(item_id: Any, category: Any = "c") -> dict[str, Any]:
    return {"id": item_id, "categoryId": category}


def test_an_earlier_occurrence_in_another_part_names_the_last_one() -> None:
    values = [item("a"), item("b"), item("c"), item("a"), item("d"), item("a")]
    assert placed(values, per_part=2).superseded() == {
        0: [Supersession(index=0, by_record=5)],
        1: [Supersession(index=1, by_record=5)],
    }


def test_occurrences_within_one_part_are_superseded_too() -> None:
    assert placed([item("a"), item("a")], per_part=10).superseded() == {
        0: [Supersession(index=0, by_record=1)]
    }


def test_the_same_id_in_another_category_is_another_product() -> None:
    assert placed([item("a", "c1"), item("a", "c2")], per_part=10).superseded() == {}


def test_records_without_their_own_string_key_are_never_superseded() -> None:
    values = [{"name": "no id"}, {"name": "no id"}, item(7), item(7), item("a", 3), item("a", 3)]
    assert placed(values, per_part=2).superseded() == {}


def test_a_key_is_not_confused_by_where_category_ends_and_id_begins() -> None:
    assert placed([item("b", "a"), item("", "ab")], per_part=10).superseded() == {}


def test_placements_out_of_body_order_still_name_the_last_record_of_the_body() -> None:
    occurrences = LastOccurrences()
    # A window put record 7 (key a) in part 0 at index 3, and record 2 (key b) after it.
    occurrences.place(item_key(item("a")), number=1, part=0, index=0)
    occurrences.place(item_key(item("b")), number=2, part=0, index=4)
    occurrences.place(item_key(item("a")), number=7, part=2, index=70_000 % 65_536)
    assert occurrences.superseded() == {0: [Supersession(index=0, by_record=7)]}


def test_a_later_placement_of_an_earlier_record_does_not_win() -> None:
    occurrences = LastOccurrences()
    occurrences.place(item_key(item("a")), number=9, part=0, index=0)
    occurrences.place(item_key(item("a")), number=4, part=1, index=2)
    assert occurrences.superseded() == {1: [Supersession(index=2, by_record=9)]}


def test_every_earlier_occurrence_of_many_repeated_keys_is_found() -> None:
    values = [item(f"p{number % 20_000}") for number in range(60_000)]
    superseded = placed(values, per_part=1_000).superseded()
    assert sum(len(entries) for entries in superseded.values()) == 40_000
    assert superseded[0][0] == Supersession(index=0, by_record=40_000)
    assert 59 not in superseded  # the last 20,000 records are the last occurrences


def test_a_filter_of_many_distinct_keys_has_few_false_alarms() -> None:
    seen = SeenFilter()
    alarms = sum(seen.add(item_key(item(f"p{n}")) or b"") for n in range(250_000))
    assert alarms < 250_000 * 0.01

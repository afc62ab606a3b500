"""The body at the documented limit, and how its cost is compared with the floor's."""

from __future__ import annotations

import json

from bench.limit_body import BodyAtLimit, Post, _fresh_record, body_at_limit, table
from bench.procfs import MB


def post(route: str, status: int, growth_mb: int) -> Post:
    return Post(route=route, status=status, seconds=1.0, resident_before=80 * MB,
                peak=(80 + growth_mb) * MB)  # fmt: skip


def test_the_body_ends_exactly_at_the_byte_limit_with_every_line_a_product() -> None:
    body, records = body_at_limit(max_bytes=100_000, max_records=10_000)
    lines = body.splitlines()
    assert len(body) == 100_000 and body.endswith(b"\n")
    assert records == len(lines)
    assert all({"id", "categoryId", "name", "price"} <= json.loads(line).keys() for line in lines)


def test_the_record_limit_binds_first_when_records_are_too_many_for_the_bytes() -> None:
    body, records = body_at_limit(max_bytes=100_000, max_records=50)
    assert records == 50 == len(body.splitlines())
    assert len(body) < 100_000


def test_an_import_within_one_body_of_the_floor_is_within_the_bound() -> None:
    result = BodyAtLimit(
        body_bytes=32 * MB,
        records=1,
        imports=[post("imports", 202, growth) for growth in (100, 90, 120)],
        floor=[post("products", 413, growth) for growth in (70, 60, 80)],
    )
    assert result.excess == 30 * MB
    assert result.to_json()["withinOneBodyOfTheFloor"]
    assert "| /api/imports | 202, 202, 202 | 1.00 | 100 MB |" in table(result)


def test_an_import_growing_more_than_one_body_over_the_floor_is_outside_the_bound() -> None:
    result = BodyAtLimit(
        body_bytes=32 * MB,
        records=1,
        imports=[post("imports", 503, 140)],
        floor=[post("products", 413, 70)],
    )
    assert not result.to_json()["withinOneBodyOfTheFloor"]


def test_each_warm_up_record_is_the_first_product_under_an_id_of_its_own() -> None:
    body, _ = body_at_limit(max_bytes=10_000, max_records=100)
    first, second = (json.loads(_fresh_record(body)) for _ in range(2))
    original = json.loads(body.splitlines()[0])
    assert first["id"] != second["id"] != original["id"]
    assert first["categoryId"] == original["categoryId"]

"""The bench's generated products: seeded, and streamed to NDJSON."""

from __future__ import annotations

import json
from pathlib import Path

from bench.workload import tagged_products, write_ndjson


def test_tagged_products_repeat_for_a_seed_and_spread_over_the_categories_asked() -> None:
    first = list(tagged_products(2_000, categories=10, seed=1))
    assert first == list(tagged_products(2_000, categories=10, seed=1))
    assert len({p["categoryId"] for p in first}) == 10
    assert all(len(set(p["tags"])) == 4 for p in first)


def test_write_ndjson_writes_one_line_per_product_and_counts_its_bytes(tmp_path: Path) -> None:
    file = tmp_path / "products.ndjson"
    size = write_ndjson(file, tagged_products(100, categories=3, seed=2))
    lines = file.read_bytes().splitlines()
    assert size == file.stat().st_size
    assert [json.loads(line) for line in lines] == list(tagged_products(100, categories=3, seed=2))

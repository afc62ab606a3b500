"""Reading a file's records back: grouped by partition key, at most a batch at a time."""

from __future__ import annotations

from pathlib import Path

from bench.readback import item_keys_in_groups, keys_in_groups
from bench.workload import tagged_products, write_ndjson


def test_every_record_is_in_one_group_of_one_category_within_the_batch_size(
    tmp_path: Path,
) -> None:
    file = tmp_path / "products.ndjson"
    products = list(tagged_products(1_000, categories=7, seed=3))
    write_ndjson(file, iter(products))
    groups = list(keys_in_groups(file, size=10))
    assert all(len(group) <= 10 and len({c for c, _ in group}) == 1 for group in groups)
    assert sorted(key for group in groups for key in group) == sorted(
        (p["categoryId"], p["id"]) for p in products
    )


def test_items_in_memory_are_grouped_the_same_way() -> None:
    products = list(tagged_products(1_000, categories=7, seed=4))
    groups = list(item_keys_in_groups(products, size=10))
    assert all(len(group) <= 10 and len({c for c, _ in group}) == 1 for group in groups)
    assert sorted(key for group in groups for key in group) == sorted(
        (p["categoryId"], p["id"]) for p in products
    )

"""The source material's bulk workload: 25,000 products with uuid ids, a word as name, a price
from 10 to 1000 and a category out of a few dozen; and, for the large import, the same shape with
tags (about 200 bytes of NDJSON each), written to a file one product at a time."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WORDS = (
    "saddle",
    "helmet",
    "chain",
    "pedal",
    "bell",
    "brake",
    "crank",
    "fork",
    "frame",
    "gear",
    "grip",
    "hub",
    "lever",
    "light",
    "lock",
    "mirror",
    "pump",
    "rack",
    "rim",
    "seat",
    "spoke",
    "tire",
    "tube",
    "valve",
    "wheel",
    "bottle",
    "cage",
    "glove",
    "jersey",
    "short",
    "sock",
    "shoe",
    "bag",
    "basket",
    "bib",
    "cap",
    "cleat",
    "clip",
    "fender",
    "horn",
    "kickstand",
    "mudguard",
    "pannier",
    "stand",
)


TAGS = ("black", "red", "silver", "carbon", "alloy", "leather", "cushioned", "waterproof",
        "lightweight", "reflective", "touring", "racing")  # fmt: skip


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _product(rng: random.Random, category_ids: list[str]) -> dict[str, Any]:
    return {
        "id": _uuid(rng),
        "name": rng.choice(WORDS),
        "price": round(rng.uniform(10, 1000), 2),
        "categoryId": rng.choice(category_ids),
    }


def products(count: int = 25_000, *, categories: int = 36, seed: int = 420) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    category_ids = [_uuid(rng) for _ in range(categories)]
    return [_product(rng, category_ids) for _ in range(count)]


def tagged_products(count: int, *, categories: int, seed: int) -> Iterator[dict[str, Any]]:
    """`products`' shape with four tags each, generated one at a time."""
    rng = random.Random(seed)
    category_ids = [_uuid(rng) for _ in range(categories)]
    for _ in range(count):
        yield {**_product(rng, category_ids), "tags": rng.sample(TAGS, 4)}


def write_ndjson(path: Path, items: Iterator[dict[str, Any]]) -> int:
    """Write `items` as NDJSON, streamed; the number of bytes written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            written += out.write(json.dumps(item) + "\n")
    return written

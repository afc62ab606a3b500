"""The source material's bulk workload: 25,000 products with uuid ids, a word as name, a price
from 10 to 1000 and a category out of a few dozen."""

from __future__ import annotations

import random
import uuid
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


def products(count: int = 25_000, *, categories: int = 36, seed: int = 420) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    category_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(categories)]
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "name": rng.choice(WORDS),
            "price": round(rng.uniform(10, 1000), 2),
            "categoryId": rng.choice(category_ids),
        }
        for _ in range(count)
    ]

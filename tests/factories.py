"""Small builders of test data."""

from __future__ import annotations

import random
import uuid
from typing import Any

import azure.functions as func

from shared.ingest.outcomes import Record


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def product_json(**overrides: Any) -> dict[str, Any]:
    """A valid product as a client sends it; keyword arguments replace or add JSON fields."""
    product: dict[str, Any] = {
        "id": unique("product"),
        "categoryId": unique("category"),
        "name": "Road Warrior Saddle",
        "price": 65.15,
        "tags": ["black", "cushioned", "leather"],
    }
    product.update(overrides)
    return product


def record(
    index: int, category: str = "bikes", item_id: str | None = None, **fields: Any
) -> Record:
    """A validated record at place `index` of a message (id `p<index>` unless given)."""
    item = {"id": item_id or f"p{index}", "categoryId": category, "name": "n", "price": 1, **fields}
    return Record(index=index, item=item)


PRODUCT_NAMES = ("saddle", "helmet", "chain", "pedal", "bell")
IMPORT_ID = "0b9e8c1a-4f2d-4c3b-9a7e-5d6f1e2a3b4c"  # an import's id, as the API issues them


def catalog(
    count: int, *, categories: int, invalid_every: int = 0, seed: int = 20261127
) -> list[dict[str, Any]]:
    """The lab's workload: uuid ids, a word as name, price 10-1000, `categories` categories of
    a fresh prefix; every `invalid_every`-th product (from the first) has a negative price.
    Names and prices come from a seeded generator, so a failing run can be repeated."""
    chance = random.Random(seed)
    prefix = unique("cat")
    products = [
        {
            "id": str(uuid.uuid4()),
            "categoryId": f"{prefix}-{n % categories}",
            "name": chance.choice(PRODUCT_NAMES),
            "price": round(chance.uniform(10, 1000), 2),
        }
        for n in range(count)
    ]
    if invalid_every:
        for n in range(0, count, invalid_every):
            products[n]["price"] = -1
    return products


def http_request(
    method: str = "GET",
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
) -> func.HttpRequest:
    """A request as the Functions runtime hands it to a handler."""
    return func.HttpRequest(
        method=method,
        url="http://localhost/api/test",
        headers=headers or {},
        params=params or {},
        route_params=route_params or {},
        body=body,
    )

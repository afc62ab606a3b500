"""Small builders of test data."""

from __future__ import annotations

import uuid
from typing import Any


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

"""Property tests: whatever the API accepts obeys the product rules once stored."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.catalog.models import MAX_TTL_SECONDS, Product, ProductCreate
from shared.catalog.patch import to_cosmos_patch
from shared.platform.errors import BadRequestError
from shared.platform.json_numbers import MAX_SAFE_INTEGER

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
ids = st.text(max_size=8) | st.sampled_from([".", "..", "a ", "a\u0085", "ok-id"])


def obeys_product_rules(item: dict[str, Any]) -> None:
    product = Product.model_validate(item)
    assert math.isfinite(product.price) and product.price >= 0
    assert product.name.strip()
    assert all(isinstance(tag, str) for tag in product.tags)
    assert product.ttl is None or product.ttl == -1 or 0 < product.ttl <= MAX_TTL_SECONDS
    assert product.id not in (".", "..") and not product.id.endswith(" ")


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "id": ids,
            "categoryId": ids,
            "name": json_values,
            "price": json_values,
            "tags": json_values,
            "ttl": st.integers() | json_values,
            "extra": json_values,
        },
    )
)
def test_anything_create_accepts_is_a_valid_product_when_read_back(data: dict[str, Any]) -> None:
    try:
        product = ProductCreate.model_validate(data)
    except ValidationError:
        return
    obeys_product_rules(product.to_item())


def _apply(item: dict[str, Any], operation: dict[str, Any]) -> None:
    """What Cosmos does with one operation; KeyError/IndexError/TypeError when it cannot."""
    *parents, last = [
        t.replace("~1", "/").replace("~0", "~") for t in operation["path"][1:].split("/")
    ]
    target: Any = item
    for token in parents:
        target = target[int(token)] if isinstance(target, list) else target[token]
    op, value = operation["op"], operation.get("value")
    if isinstance(target, list):
        position = len(target) if last == "-" else int(last)
        if op == "add":
            target.insert(position, value)
        elif op == "remove":
            del target[position]
        else:
            target[position] = value
        return
    if op == "remove":
        del target[last]
    elif op == "incr":
        target[last] = target[last] + value
    elif op == "replace" and last not in target:
        raise KeyError(last)
    else:
        target[last] = value


def _guard_holds(predicate: str | None, price: float) -> bool:
    for operator, bound in re.findall(r"c\.price (>=|<=) ([0-9.]+)", predicate or ""):
        if (operator == ">=" and not price >= float(bound)) or (
            operator == "<=" and not price <= float(bound)
        ):
            return False
    return True


patch_operations = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["add", "remove", "replace", "set", "incr"]),
        "path": st.sampled_from(
            [
                "/name",
                "/price",
                "/tags",
                "/tags/0",
                "/tags/-",
                "/ttl",
                "/color",
                "//name",
                "/price/x",
            ]
        ),
    },
    optional={"value": st.integers(-3, 3) | json_values | st.floats(allow_infinity=False)},
)


@settings(max_examples=500)
@given(st.lists(patch_operations, min_size=1, max_size=4))
def test_anything_a_patch_may_do_leaves_a_valid_product(document: list[dict[str, Any]]) -> None:
    stored = {"id": "p", "categoryId": "c", "name": "Saddle", "price": 1.0, "tags": ["a"]}
    try:
        patch = to_cosmos_patch(copy.deepcopy(document))
    except BadRequestError:
        return
    if not _guard_holds(patch.filter_predicate, stored["price"]):
        return  # Cosmos refuses the patch (409): nothing changes
    patched = copy.deepcopy(stored)
    try:
        for operation in patch.operations:
            _apply(patched, operation)
    except (KeyError, IndexError, TypeError, ValueError):
        return  # Cosmos refuses a path that does not exist (409): nothing changes
    obeys_product_rules(patched)


@given(
    st.floats(min_value=0, max_value=MAX_SAFE_INTEGER),
    st.lists(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["incr", "set"]),
                "path": st.just("/price"),
                "value": st.floats(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER),
            }
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_price_changed_by_increments_stays_valid_whenever_cosmos_applies_it(
    stored_price: float, document: list[dict[str, Any]]
) -> None:
    stored = {"id": "p", "categoryId": "c", "name": "Saddle", "price": stored_price}
    try:
        patch = to_cosmos_patch(document)
    except BadRequestError:
        return
    if _guard_holds(patch.filter_predicate, stored_price):
        for operation in patch.operations:
            _apply(stored, operation)
        obeys_product_rules(stored)

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from shared.catalog.models import Product, ProductCreate
from tests.factories import product_json


def field_names(error: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.errors()}


def test_python_names_map_to_json_names() -> None:
    product = ProductCreate.model_validate(product_json(categoryId="bikes"))
    assert product.category_id == "bikes"
    assert product.to_item()["categoryId"] == "bikes"
    assert "category_id" not in product.to_item()


def test_python_names_are_not_another_spelling_of_the_json_names() -> None:
    with pytest.raises(ValidationError, match="categoryId"):
        ProductCreate.model_validate({"category_id": "bikes", "name": "Saddle", "price": 1})
    both = {"categoryId": "bikes", "category_id": "cars", "name": "Saddle", "price": 1}
    item = ProductCreate.model_validate(both).to_item()
    assert item["categoryId"] == "bikes" and item["category_id"] == "cars"  # an unknown field


def test_id_is_generated_when_absent() -> None:
    data = product_json()
    del data["id"]
    first, second = ProductCreate.model_validate(data), ProductCreate.model_validate(data)
    assert first.id and second.id and first.id != second.id


def test_unknown_fields_are_kept_as_sent() -> None:
    item = ProductCreate.model_validate(product_json(color={"primary": "red"})).to_item()
    assert item["color"] == {"primary": "red"}


def test_system_properties_are_never_taken_from_a_client() -> None:
    sent = product_json(_rid="x", _self="y", _etag="z", _ts=1, _attachments="a")
    item = ProductCreate.model_validate(sent).to_item()
    assert not {"_rid", "_self", "_etag", "_ts", "_attachments"} & item.keys()


def test_ttl_is_written_only_when_set() -> None:
    assert "ttl" not in ProductCreate.model_validate(product_json()).to_item()
    assert ProductCreate.model_validate(product_json(ttl=30)).to_item()["ttl"] == 30
    assert ProductCreate.model_validate(product_json(ttl=-1)).to_item()["ttl"] == -1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ""),
        ("id", "x" * 256),
        ("id", "a/b"),
        ("id", "a\\b"),
        ("id", "a?b"),
        ("id", "a#b"),
        ("id", "a\nb"),
        ("id", "."),
        ("id", ".."),
        ("id", "ends with a space "),
        ("id", "next line\u0085"),
        ("id", "application\u009fcommand"),
        ("id", "lone \ud800 surrogate"),
        ("id", 7),
        ("categoryId", ""),
        ("categoryId", "bikes/road"),
        ("categoryId", ".."),
        ("name", "   "),
        ("price", -0.01),
        ("price", math.inf),
        ("price", math.nan),
        ("price", "12"),
        ("price", True),
        ("tags", ["ok", 3]),
        ("tags", "red"),
        ("ttl", 0),
        ("ttl", -2),
        ("ttl", 1.5),
        ("ttl", 2**31),
        ("ttl", 10**24),
        ("ttl", 2**64),
    ],
)
def test_invalid_field_is_reported_by_name(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        Product.model_validate(product_json(**{field: value}))
    assert field in {name.split(".")[0] for name in field_names(raised.value)}


def test_missing_required_fields_are_each_reported() -> None:
    with pytest.raises(ValidationError) as raised:
        ProductCreate.model_validate({"tags": []})
    assert {"categoryId", "name", "price"} <= field_names(raised.value)


@pytest.mark.parametrize("value", ["...", " leading space", "für", "a.b", "x" * 255])
def test_ids_that_cosmos_and_a_url_can_carry_are_accepted(value: str) -> None:
    assert Product.model_validate(product_json(id=value, categoryId=value)).id == value


def test_the_largest_ttl_cosmos_allows_is_accepted() -> None:
    assert ProductCreate.model_validate(product_json(ttl=2**31 - 1)).ttl == 2**31 - 1

from __future__ import annotations

from openapi_spec_validator import validate

from shared.api.openapi import openapi_document
from shared.catalog.models import MAX_TTL_SECONDS


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validators_rules_are_in_the_schemas() -> None:
    schemas = openapi_document()["components"]["schemas"]
    product = schemas["Product"]["properties"]
    assert product["id"]["pattern"] and product["id"]["maxLength"] == 255
    assert product["id"]["not"] == {"enum": [".", ".."]}
    assert product["price"]["minimum"] == 0
    ttl = product["ttl"]["anyOf"][0]
    assert {"const": -1} in ttl["anyOf"]
    assert {"minimum": 1, "maximum": MAX_TTL_SECONDS} in ttl["anyOf"]
    assert schemas["JsonPatch"]["maxItems"] == 10


OWN_FILES = {"/openapi.json", "/docs", "/docs/{asset}"}  # served without Cosmos DB


def test_every_operation_on_cosmos_documents_problems_and_the_request_charge() -> None:
    for path, methods in openapi_document()["paths"].items():
        for operation in methods.values():
            responses = operation["responses"]
            success = next(r for status, r in responses.items() if status.startswith("2"))
            if path in OWN_FILES:
                assert not {"400", "429", "502", "503"} & set(responses), path
                assert "x-ms-request-charge" not in success.get("headers", {}), path
                continue
            assert "application/problem+json" in responses["400"]["content"]
            assert "Retry-After" in responses["503"]["headers"]
            assert "x-ms-request-charge" in success["headers"]


def test_a_created_product_links_to_what_can_be_done_with_it() -> None:
    created = openapi_document()["paths"]["/products"]["post"]["responses"]["201"]
    assert set(created["links"]) == {
        "read_product",
        "replace_product",
        "patch_product",
        "delete_product",
    }

"""The OpenAPI document, served by the running app, and schemathesis against it: every operation,
positive and negative cases, and the stateful phase following the links from create; on a
development host that checks function keys as Azure does, so that the document's security
requirements are tested for real."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.stack import LocalStack
from tests.factories import product_json
from tests.integration.conftest import Api, extra_host

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261127
EXAMPLES_PER_OPERATION = 40
KEY = "contract-test-key"


@pytest.fixture(scope="module")
def keyed(stack: LocalStack) -> Iterator[Api]:
    """A host on the stack's emulators that takes only KEY on keyed routes."""
    with extra_host(stack, "devhost-keyed", DEVHOST_FUNCTION_KEY=KEY) as (api, _):
        yield api


def test_the_document_is_served_anonymously_as_json(keyed: Api) -> None:
    response = keyed.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert "/products/{categoryId}/{id}" in document["paths"]


def test_a_keyed_operation_needs_the_key_and_the_anonymous_ones_do_not(keyed: Api) -> None:
    document = keyed.get("/openapi.json").json()
    product = product_json()
    assert keyed.post("/products", json=product).status_code == 401
    assert keyed.post("/products", json=product, params={"code": "wrong"}).status_code == 401
    assert keyed.post("/products", json=product, params={"code": KEY}).status_code == 201
    read = f"/products/{product['categoryId']}/{product['id']}"
    assert keyed.get(read, headers={"x-functions-key": KEY}).status_code == 200
    for path, methods in document["paths"].items():
        if not any(operation["security"] for operation in methods.values()):
            assert keyed.get(path.replace("{asset}", "swagger-ui.css")).status_code == 200, path


def test_schemathesis_finds_no_failure_with_every_check_on(keyed: Api) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{keyed.base_url}/openapi.json",
        "--url",
        keyed.base_url,
        "--header",
        f"x-functions-key: {KEY}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "1",
        "--no-color",
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-6000:]
    assert " passed" in summary and "Stateful" in summary
    assert "ignored_auth" not in run.stdout

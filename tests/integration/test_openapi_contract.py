"""The OpenAPI document, served by the running app, and schemathesis against it: every operation,
positive and negative cases, and the stateful phase following the links from create."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools.stack import LocalStack
from tests.integration.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261127
EXAMPLES_PER_OPERATION = 40


def test_the_document_is_served_anonymously_as_json(api: Api) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert "/products/{categoryId}/{id}" in document["paths"]


def test_schemathesis_finds_no_failure_with_every_check_on(stack: LocalStack) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{stack.api_url}/openapi.json",
        "--url",
        stack.api_url,
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

"""GET /api/health against a host whose Cosmos endpoint does not answer."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest
import requests

from devtools.stack import EMULATOR_KEY, LocalStack, Service


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def host_without_cosmos(stack: LocalStack) -> Iterator[str]:
    """A second development host, pointed at an endpoint where nothing listens."""
    env = {
        "COSMOS_ENDPOINT": f"https://127.0.0.1:{closed_port()}/",
        "COSMOS_KEY": EMULATOR_KEY,
        "COSMOS_VERIFY_TLS": "false",
        "AzureWebJobsStorage": stack.storage_connection,
    }
    command = [sys.executable, "-m", "devtools.devhost", "--port", "0"]
    host = Service("devhost-without-cosmos", command, r"listening on (http://\S+)", env)
    url = host.start().group(1)
    yield url
    host.stop()


def test_health_is_503_problem_when_cosmos_does_not_answer(host_without_cosmos: str) -> None:
    response = requests.get(f"{host_without_cosmos}/health", timeout=30)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" in response.headers
    assert "Traceback" not in response.text

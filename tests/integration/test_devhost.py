"""Second development hosts beside the session's: one whose Cosmos endpoint does not answer, one
that is stopped while a request is in flight."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator

import pytest
import requests

from devtools.stack import EMULATOR_KEY, LocalStack, Service
from tests.factories import product_json
from tests.integration.conftest import Emulator, wait_for


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def second_host(name: str, env: dict[str, str]) -> Service:
    command = [sys.executable, "-m", "devtools.devhost", "--port", "0"]
    return Service(name, command, r"listening on (http://\S+)", env)


@pytest.fixture
def host_without_cosmos(stack: LocalStack) -> Iterator[str]:
    """A second development host, pointed at an endpoint where nothing listens."""
    env = {
        "COSMOS_ENDPOINT": f"https://127.0.0.1:{closed_port()}/",
        "COSMOS_KEY": EMULATOR_KEY,
        "COSMOS_VERIFY_TLS": "false",
        "AzureWebJobsStorage": stack.storage_connection,
    }
    host = second_host("devhost-without-cosmos", env)
    url = host.start().group(1)
    yield url
    host.stop()


def test_health_is_503_problem_when_cosmos_does_not_answer(host_without_cosmos: str) -> None:
    response = requests.get(f"{host_without_cosmos}/health", timeout=30)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" in response.headers
    assert "Traceback" not in response.text


def test_stopping_the_host_lets_an_in_flight_request_finish(
    stack: LocalStack, emulator: Emulator
) -> None:
    host = second_host("devhost-stopping", stack.host_environment())
    url = host.start().group(1)
    product = product_json()
    assert requests.post(f"{url}/products", json=product, timeout=30).status_code == 201
    emulator.reset_stats()
    emulator.inject_faults(latencyMs=1500)  # every Cosmos call now takes 1.5 s
    answers: list[int] = []
    slow_read = threading.Thread(
        target=lambda: answers.append(
            requests.get(
                f"{url}/products/{product['categoryId']}/{product['id']}", timeout=30
            ).status_code
        )
    )
    slow_read.start()
    wait_for(lambda: emulator.stats()["byKind"].get("read"), timeout=10, what="the read to start")
    host.stop()  # SIGTERM while the read waits on Cosmos
    slow_read.join(timeout=30)
    assert answers == [200]
    assert host.process is not None and host.process.returncode == 0

"""The local stack for integration tests: emulator, Azurite and the development host on free
ports, started once per session; clients to reach them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.cosmos import CosmosClient

from devtools.stack import EMULATOR_KEY, LocalStack


class Api:
    """Plain HTTP to the Functions host, with paths relative to /api."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class Emulator:
    """The emulator's test routes: faults, request counters, capabilities."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        response = requests.request(
            method, f"{self.endpoint}/_emulator/{route}", json=body, verify=False, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def inject_faults(self, **config: Any) -> None:
        self._call("PUT", "faults", config)

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

    def set_capabilities(self, **capabilities: bool) -> None:
        self._call("PUT", "capabilities", capabilities)


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture(scope="session")
def api(stack: LocalStack) -> Api:
    return Api(stack.api_url)


@pytest.fixture
def emulator(stack: LocalStack) -> Iterator[Emulator]:
    """The emulator's controls; faults and capabilities are reset after each test."""
    controls = Emulator(stack.cosmos_endpoint)
    yield controls
    controls.clear_faults()
    controls.set_capabilities(partitionKeyDelete=True)


@pytest.fixture(scope="session")
def cosmos(stack: LocalStack) -> CosmosClient:
    """The real azure-cosmos SDK pointed at the local endpoint, for checks behind the API."""
    return CosmosClient(stack.cosmos_endpoint, credential=EMULATOR_KEY, connection_verify=False)

"""The local stack for integration tests: emulator, Azurite and the development host on free
ports, started once per session; clients to reach them."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
import requests
from azure.core.exceptions import ResourceExistsError
from azure.cosmos import ContainerProxy, CosmosClient
from azure.storage.queue import QueueClient

from devtools.stack import EMULATOR_KEY, LocalStack, Service
from shared.platform.settings import Settings

T = TypeVar("T")


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


# Short delays so that retries and poison handling finish within a test, not minutes.
FAST_RETRY_SETTINGS = {
    "WRITER_RETRY_BUDGET_SECONDS": "2",
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.5",
}


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(app_settings=FAST_RETRY_SETTINGS) as running:
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
    controls.set_capabilities(partitionKeyDelete=True, priorityBasedExecution=True)


@contextlib.contextmanager
def extra_host(stack: LocalStack, name: str, **settings: str) -> Iterator[tuple[Api, Service]]:
    """Another development host on the stack's emulators, with `settings` over the stack's
    (its own queues, say); stopped on leaving."""
    with stack.extra_hosts(name, **settings) as ((url, host),):
        yield Api(url), host


@pytest.fixture(scope="session")
def host_settings(stack: LocalStack) -> Settings:
    """The settings the development host runs with: queue, database and container names."""
    return Settings(**stack.host_environment())


class Queues:
    """Real queues in Azurite, base64 text as the Functions host reads and writes them; the
    app's queues by the names its settings give them."""

    def __init__(self, connection: str, settings: Settings) -> None:
        self.connection = connection
        self.ingest = settings.ingest_queue
        self.rejects = settings.rejects_queue
        self.poison = f"{settings.ingest_queue}-poison"  # the host's naming rule

    def client(self, name: str) -> QueueClient:
        client = QueueClient.from_connection_string(self.connection, name)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        return client

    def send_text(self, name: str, text: str) -> None:
        """Send `text` base64-encoded, as the trigger expects."""
        self.client(name).send_message(base64.b64encode(text.encode()).decode())

    def send_raw(self, name: str, content: str) -> None:
        self.client(name).send_message(content)

    def drain(self, name: str, *, decode: bool = True) -> list[str]:
        """Every message now in the queue (base64-decoded unless told not to); left empty."""
        client, texts = self.client(name), []
        while True:
            batch = list(client.receive_messages(max_messages=32, visibility_timeout=30))
            if not batch:
                return texts
            for message in batch:
                content = message.content
                texts.append(base64.b64decode(content).decode() if decode else content)
                client.delete_message(message)


@pytest.fixture(scope="session")
def queues(stack: LocalStack, host_settings: Settings) -> Queues:
    return Queues(stack.storage_connection, host_settings)


def wait_for[T](condition: Callable[[], T | None], *, timeout: float = 60, what: str = "") -> T:
    """Poll until `condition` returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


@pytest.fixture(scope="session")
def cosmos(stack: LocalStack) -> CosmosClient:
    """The real azure-cosmos SDK pointed at the local endpoint, for checks behind the API."""
    return CosmosClient(stack.cosmos_endpoint, credential=EMULATOR_KEY, connection_verify=False)


@pytest.fixture(scope="session")
def products_container(cosmos: CosmosClient, host_settings: Settings) -> ContainerProxy:
    """The app's products container, through the SDK."""
    database = cosmos.get_database_client(host_settings.cosmos_database)
    return database.get_container_client(host_settings.cosmos_container)

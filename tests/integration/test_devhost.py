"""Second development hosts beside the session's: one whose Cosmos endpoint does not answer, one
whose endpoint hangs, one that loses its database, one stopped while a request is in flight, a
fresh one whose peak memory a large body is measured against, and one with a 2-second queue lease
whose queue function takes longer than that."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from azure.cosmos import CosmosClient

from devtools.devhost.http_server import MAX_REQUEST_BYTES
from devtools.stack import EMULATOR_KEY, LocalStack, Service
from shared.platform.settings import Settings
from tests.factories import product_json, unique
from tests.integration.conftest import Emulator, Queues, extra_host, wait_for


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


@pytest.fixture
def hung_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers: a hung Cosmos DB."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()
    for connection in held:
        connection.close()


@pytest.fixture
def host_with_hung_cosmos(stack: LocalStack, hung_endpoint: str) -> Iterator[str]:
    env = {**stack.host_environment(), "COSMOS_ENDPOINT": hung_endpoint}
    env.pop("HTTP_TIMEOUT_SECONDS", None)  # the default bound
    env["COSMOS_CREATE_IF_MISSING"] = "false"
    host = second_host("devhost-hung-cosmos", env)
    yield host.start().group(1)
    host.stop()


def test_a_hung_cosmos_gets_503_within_the_default_bound(host_with_hung_cosmos: str) -> None:
    started = time.monotonic()
    health = requests.get(f"{host_with_hung_cosmos}/health", timeout=30)
    health_seconds = time.monotonic() - started
    assert health.status_code == 503 and "Retry-After" in health.headers
    assert health_seconds < 5.5
    started = time.monotonic()
    read = requests.get(f"{host_with_hung_cosmos}/products/c/p", timeout=30)
    assert read.status_code == 503 and "Retry-After" in read.headers
    assert time.monotonic() - started < 11
    assert read.headers["content-type"].startswith("application/problem+json")


@pytest.fixture
def host_with_own_database(stack: LocalStack) -> Iterator[tuple[str, str]]:
    database = unique("db")
    env = {**stack.host_environment(), "COSMOS_DATABASE": database}
    host = second_host("devhost-own-database", env)
    yield host.start().group(1), database
    host.stop()


@pytest.mark.parametrize("what_goes_missing", ["container", "database"])
def test_missing_resources_are_503_then_created_again(
    host_with_own_database: tuple[str, str],
    cosmos: CosmosClient,
    host_settings: Settings,
    what_goes_missing: str,
) -> None:
    url, database = host_with_own_database
    assert requests.post(f"{url}/products", json=product_json(), timeout=30).status_code == 201
    if what_goes_missing == "container":
        cosmos.get_database_client(database).delete_container(host_settings.cosmos_container)
    else:
        cosmos.delete_database(database)
    health = requests.get(f"{url}/health", timeout=30)
    assert health.status_code == 503
    assert "does not exist" in health.json()["detail"]
    response = requests.post(f"{url}/products", json=product_json(), timeout=30)
    assert response.status_code == 201, response.text
    assert requests.get(f"{url}/health", timeout=30).status_code == 200


def peak_rss_bytes(pid: int) -> int:
    """The process's resident high-water mark (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


@pytest.fixture
def fresh_host(stack: LocalStack) -> Iterator[tuple[str, int]]:
    """A second development host that has served nothing yet: its URL and process id."""
    host = second_host("devhost-fresh", stack.host_environment())
    url = host.start().group(1)
    assert host.process is not None
    yield url, host.process.pid
    host.stop()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_body_at_the_host_limit_is_held_at_most_twice_by_the_host(
    fresh_host: tuple[str, int],
) -> None:
    """The host's invocation request and the runtime's `func.HttpRequest` each hold the body
    once; nothing else may (the host used to hold it six times)."""
    url, pid = fresh_host
    headers = {"content-type": "application/json"}
    warm_up = requests.post(f"{url}/products", data=b"{}", headers=headers, timeout=30)
    assert warm_up.status_code < 500  # the first invocation's one-off costs are paid
    before = peak_rss_bytes(pid)
    body = b"[" + b" " * (MAX_REQUEST_BYTES - 2) + b"]"
    response = requests.post(f"{url}/products", data=body, headers=headers, timeout=120)
    assert response.status_code == 413  # the app's own limit, after the worker received it all
    assert response.headers["content-type"].startswith("application/problem+json")
    assert peak_rss_bytes(pid) - before < 2 * len(body) + 32 * 1024 * 1024


LEASES_APP = Path(__file__).parent / "apps" / "leases"
TEST_LEASE_SECONDS = 2


@pytest.fixture
def leases_host(stack: LocalStack) -> Iterator[tuple[Service, str]]:
    """A development host running the leases app with a 2-second lease (the host's is 10
    minutes), on a queue of its own: the host and the queue's name."""
    queue = unique("leases")
    command = [sys.executable, "-m", "devtools.devhost", "--port", "0", "--root", str(LEASES_APP)]
    env = {
        "AzureWebJobsStorage": stack.storage_connection,
        "LEASES_QUEUE": queue,
        "DEVHOST_QUEUE_LEASE_SECONDS": str(TEST_LEASE_SECONDS),
    }
    host = Service("devhost-leases", command, r"listening on (http://\S+)", env)
    host.start()
    yield host, queue
    host.stop()


def log_lines(host: Service, text: str) -> list[str]:
    return [line for line in host.log_path.read_text().splitlines() if text in line]


def invocation_taking(seconds: float) -> str:
    """A message for the leases app: how long its invocation takes, base64 as the host reads it."""
    return base64.b64encode(str(seconds).encode()).decode()


def test_a_message_stays_invisible_while_an_invocation_longer_than_its_lease_runs(
    leases_host: tuple[Service, str], queues: Queues
) -> None:
    host, queue = leases_host
    client = queues.client(queue)
    sent = client.send_message(invocation_taking(5))
    started = f"message {sent.id} started"
    wait_for(lambda: log_lines(host, started), timeout=30, what="the invocation to start")
    seen_by_another_receiver: list[str] = []

    def done_while_another_receiver_polls() -> bool:
        seen_by_another_receiver.extend(m.id for m in client.receive_messages(visibility_timeout=1))
        return bool(log_lines(host, f"message {sent.id} done"))

    wait_for(done_while_another_receiver_polls, timeout=30, what="the invocation to end")
    assert seen_by_another_receiver == []
    time.sleep(TEST_LEASE_SECONDS + 1)  # a message kept with a stale pop receipt would be back
    assert client.get_queue_properties().approximate_message_count == 0
    (line,) = log_lines(host, started)
    assert line.endswith("on dequeue 1")


def test_a_message_whose_host_dies_mid_invocation_is_delivered_again_after_its_lease(
    leases_host: tuple[Service, str], queues: Queues
) -> None:
    host, queue = leases_host
    client = queues.client(queue)
    sent = client.send_message(invocation_taking(600))
    started = f"message {sent.id} started"
    wait_for(lambda: log_lines(host, started), timeout=30, what="the invocation to start")
    assert host.process is not None
    os.killpg(host.process.pid, signal.SIGKILL)  # no graceful end: nothing deletes or releases
    host.process.wait()
    again = wait_for(
        lambda: list(client.receive_messages(visibility_timeout=30)),
        timeout=10 * TEST_LEASE_SECONDS,
        what="the message to be visible again",
    )
    assert [(m.id, m.dequeue_count) for m in again] == [(sent.id, 2)]
    client.delete_message(again[0])


def test_a_message_that_is_not_base64_goes_to_poison_after_one_dequeue(
    leases_host: tuple[Service, str], queues: Queues
) -> None:
    host, queue = leases_host
    content = f"{{not base64 {unique('raw')}}}"
    sent = queues.client(queue).send_message(content)
    poisoned = wait_for(
        lambda: queues.drain(f"{queue}-poison", decode=False),
        timeout=30,  # a release would hide it for host.json's visibilityTimeout of a minute
        what="the undecodable message in the poison queue",
    )
    assert poisoned == [content]  # as it was sent: never decoded
    assert log_lines(
        host, f"Message {sent.id} moved to {queue}-poison: not valid base64, on dequeue 1"
    )
    assert not log_lines(host, f"message {sent.id} started")


def first_answer(url: str, request: bytes, *, wait: float) -> tuple[bytes, float]:
    """Send `request` as it is: the first bytes the host answers within `wait` seconds, and
    the seconds they took."""
    address = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=wait) as connection:
        connection.sendall(request)
        answer = connection.recv(65536)
    return answer, time.monotonic() - started


def test_a_request_the_host_cannot_parse_leaves_one_log_line_and_no_stack(
    stack: LocalStack,
) -> None:
    secret = unique("s3cret")
    over_8_kb = secret * (8_192 // len(secret) + 1)
    line = f"GET /api/products/c/{over_8_kb} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    header = f"GET /api/health HTTP/1.1\r\nHost: x\r\nAuthorization: {over_8_kb}\r\n\r\n"
    with extra_host(stack, "devhost-refusals") as (api, host):
        for request in (line, header.encode()):
            answer, _ = first_answer(api.base_url, request, wait=10)
            assert answer.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 "))
        assert api.get("/health").status_code == 200  # the host serves on
        log = host.log_path.read_text()
    assert log.count("refused before it reached a function: LineTooLong (400)") == 2
    assert secret not in log
    assert "Traceback" not in log


def test_a_body_that_stops_short_of_its_content_length_gets_408_after_kestrels_grace_period(
    stack: LocalStack,
) -> None:
    head = b"POST /api/products HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    answer, waited = first_answer(stack.api_url, head + b'{"id":', wait=30)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 5 <= waited < 15  # 240 bytes/s after a 5 s grace: Kestrel's minimum body rate

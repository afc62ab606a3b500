"""The development host runs apps through azure-functions-runtime, as Azure's worker does: a
small app of its own shows what the host does with a function that raises, one that outlasts
functionTimeout, a synchronous one (that echoes the body it was given), and a queue function that
keeps failing."""

from __future__ import annotations

import importlib.metadata
import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from devtools.devhost.http_server import MAX_REQUEST_BYTES
from devtools.stack import LocalStack, Service
from tests.factories import unique
from tests.integration.conftest import Queues, wait_for

FAULTY_APP = Path(__file__).parent / "apps" / "faulty"


@pytest.fixture(scope="module")
def faulty_queue() -> str:
    return unique("faulty")


@pytest.fixture(scope="module")
def faulty_host(stack: LocalStack, faulty_queue: str) -> Iterator[Service]:
    command = [sys.executable, "-m", "devtools.devhost", "--port", "0", "--root", str(FAULTY_APP)]
    env = {"AzureWebJobsStorage": stack.storage_connection, "FAULTY_QUEUE": faulty_queue}
    host = Service("devhost-faulty", command, r"listening on (http://\S+)", env)
    host.start()
    yield host
    host.stop()


def url_of(host: Service) -> str:
    found = re.search(r"listening on (http://\S+)", host.log_path.read_text())
    assert found is not None
    return found.group(1)


def test_the_start_up_line_names_the_runtime_that_runs_the_app(faulty_host: Service) -> None:
    log = faulty_host.log_path.read_text()
    version = importlib.metadata.version("azure-functions-runtime")
    assert f"(azure-functions-runtime {version}, Python 3.13" in log


def test_a_function_that_raises_gives_the_host_s_500_with_an_empty_body(
    faulty_host: Service,
) -> None:
    response = requests.get(f"{url_of(faulty_host)}/raises", timeout=30)
    assert response.status_code == 500
    assert response.content == b""
    assert "RuntimeError" in faulty_host.log_path.read_text()


def test_function_timeout_from_host_json_is_enforced(faulty_host: Service) -> None:
    started = time.monotonic()
    response = requests.get(f"{url_of(faulty_host)}/sleeps", timeout=30)
    assert response.status_code == 500
    assert time.monotonic() - started < 10  # functionTimeout is 2 s; the function sleeps 30


def test_a_synchronous_function_gets_route_query_headers_and_body_and_sets_cookies(
    faulty_host: Service,
) -> None:
    response = requests.post(
        f"{url_of(faulty_host)}/echo/hello?q=x",
        data=b"payload",
        headers={"x-probe": "p1"},
        timeout=30,
    )
    assert response.status_code == 201
    assert response.text == "hello:x:payload"
    assert response.headers["X-Seen-Header"] == "p1"
    assert response.headers.get("Set-Cookie") == "session=abc; Path=/", response.headers


def test_a_queue_function_that_keeps_failing_sends_the_message_to_poison(
    faulty_host: Service, queues: Queues, faulty_queue: str
) -> None:
    queues.send_text(faulty_queue, "doomed")
    poisoned = wait_for(
        lambda: queues.drain(f"{faulty_queue}-poison"), timeout=60, what="the poison message"
    )
    assert poisoned == ["doomed"]
    assert "failed on dequeue 2" in faulty_host.log_path.read_text()


def test_a_chunked_body_reaches_the_function_byte_for_byte(faulty_host: Service) -> None:
    text = "".join(chr(0x20 + n % 0x2000) for n in range(1_000_000)).encode()  # multi-byte UTF-8
    chunks = (text[start : start + 65_536] for start in range(0, len(text), 65_536))
    response = requests.post(f"{url_of(faulty_host)}/echo/hello?q=x", data=chunks, timeout=60)
    assert response.status_code == 201
    assert response.content == b"hello:x:" + text


def test_a_body_over_the_host_limit_is_refused_with_413_before_it_is_read(
    faulty_host: Service,
) -> None:
    url = urlsplit(url_of(faulty_host))
    head = (
        f"POST {url.path}/echo/hello HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(head.encode())  # and not a byte of the body
        status_line = connection.makefile("rb").readline()
    assert status_line.startswith(b"HTTP/1.1 413 ")

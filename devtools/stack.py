"""Start and stop the local stack: the Cosmos endpoint, Azurite (queues) and the Functions host.

`python -m devtools.stack` (what `make run` calls) starts everything on the usual local ports and
serves the API until Ctrl-C. The integration tests use `LocalStack` with free ports. Several
development hosts (`--hosts N`, `LocalStack(hosts=N)`, `LocalStack.extra_hosts`) share one queue
and one container, as the instances Flex Consumption scales out to do.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / ".run"
NODE_BIN = ROOT / "node_modules" / ".bin"

# Azurite's well-known development account (public, documented; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# The Cosmos DB emulator's well-known key; the local endpoint accepts any key.
EMULATOR_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)
STARTUP_TIMEOUT_SECONDS = 60


class StackError(RuntimeError):
    pass


@dataclass
class Service:
    """A child process whose log is a file; ready once the log shows `ready` (a regex).

    `stopped`, when given, is the log line after which the process has nothing left to do: it is
    then killed rather than waited for (Azurite lingers a minute after closing).
    """

    name: str
    command: list[str]
    ready: str
    env: Mapping[str, str] | None = None
    stopped: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def log_path(self) -> Path:
        return LOG_DIR / f"{self.name}.log"

    def start(self) -> re.Match[str]:
        self.launch()
        return self.wait_until_ready()

    def launch(self) -> None:
        """Start the process without waiting for it to be ready."""
        LOG_DIR.mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(self.env or {})},
            start_new_session=True,  # Ctrl-C in a terminal reaches the stack, which stops us
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self) -> re.Match[str]:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        pattern = re.compile(self.ready)
        while time.monotonic() < deadline:
            found = pattern.search(self.log_path.read_text(errors="replace"))
            if found:
                return found
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise StackError(f"{self.name} did not start; see {self.log_path}:\n{tail}")

    def kill(self) -> None:
        """End the process at once, as a crash would: its open connections are reset."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            if self.stopped and re.search(self.stopped, self.log_path.read_text(errors="replace")):
                break
            time.sleep(0.05)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def azurite_service(name: str, port: int = 0) -> Service:
    """Azurite's queue service, in memory; ready when its log shows its URL (group 1)."""
    command = [
        str(NODE_BIN / "azurite-queue"),
        "--queueHost", "127.0.0.1",
        "--queuePort", str(port),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
    ]  # fmt: skip
    return Service(name, command, r"listens on (http://\S+)", stopped="successfully closed")


def devhost_service(name: str, port: int, env: Mapping[str, str]) -> Service:
    """The development host with `env`; ready when its log shows the API's URL (group 1)."""
    command = [sys.executable, "-m", "devtools.devhost", "--port", str(port)]
    return Service(name, command, r"listening on (http://\S+)", env)


def host_names(name: str, count: int) -> list[str]:
    """`name`, `name-2`, ... `name-<count>`: one log file each."""
    return [name if number == 1 else f"{name}-{number}" for number in range(1, count + 1)]


def start_together(services: Sequence[Service]) -> list[str]:
    """Launch every service, then wait for each: the URL (group 1) each announced. On a failure
    the ones started are stopped."""
    try:
        for service in services:
            service.launch()
        return [service.wait_until_ready().group(1) for service in services]
    except BaseException:
        for service in services:
            service.stop()
        raise


# The line the app logs for each message it processed (function_app.ingest_products), and the one
# the development host logs for a queue invocation that failed (the message goes back).
_PROCESSED = re.compile(r"Message \S+: (\d+) written, (\d+) rejected")
_HANDED_BACK = re.compile(r"WARNING devhost.queues: Function \S+ failed")


def records_processed(service: Service) -> tuple[int, int]:
    """(written, rejected): what the app in a development host reports it did, from its log."""
    counts = [tuple(map(int, m.groups())) for m in _PROCESSED.finditer(service.log_text())]
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def messages_handed_back(service: Service) -> int:
    """Queue invocations of a development host that failed, so that their message is delivered
    again, from its log."""
    return len(_HANDED_BACK.findall(service.log_text()))


def azurite_connection_string(queue_endpoint: str) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"QueueEndpoint={queue_endpoint.rstrip('/')}/{AZURITE_ACCOUNT};"
    )


class LocalStack:
    """The emulators and the Functions host, started in order and stopped in reverse."""

    def __init__(
        self,
        *,
        cosmos_port: int = 0,
        queue_port: int = 0,
        host_port: int = 0,
        use_core_tools: bool = False,
        cosmos_args: tuple[str, ...] = (),
        app_settings: Mapping[str, str] | None = None,
        hosts: int = 1,
    ) -> None:
        if hosts < 1 or (use_core_tools and hosts > 1):
            raise StackError("one host with Core Tools; one or more development hosts otherwise")
        self.ports = (cosmos_port, queue_port, host_port)
        self.use_core_tools = use_core_tools
        self.cosmos_args = cosmos_args
        self.app_settings = dict(app_settings or {})
        self.host_count = hosts
        self.services: list[Service] = []
        self.cosmos_endpoint = ""
        self.storage_connection = ""
        self.api_urls: list[str] = []

    @property
    def api_url(self) -> str:
        """The first host's API (every host serves the same app)."""
        return self.api_urls[0] if self.api_urls else ""

    def start(self) -> LocalStack:
        cosmos_port, queue_port, host_port = self.ports
        try:
            self.cosmos_endpoint = self._start_cosmos(cosmos_port)
            self.storage_connection = azurite_connection_string(self._start_azurite(queue_port))
            self.api_urls = self._start_hosts(host_port)
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, service: Service) -> re.Match[str]:
        self.services.append(service)
        return service.start()

    def _start_cosmos(self, port: int) -> str:
        command = ["node", "devtools/cosmos-emulator.js", "--port", str(port), *self.cosmos_args]
        return self._run(Service("cosmos", command, r"(https://\S+)")).group(1)

    def _start_azurite(self, port: int) -> str:
        return self._run(azurite_service("azurite", port)).group(1)

    def host_environment(self) -> dict[str, str]:
        return {
            "COSMOS_ENDPOINT": self.cosmos_endpoint,
            "COSMOS_KEY": EMULATOR_KEY,
            "COSMOS_VERIFY_TLS": "false",
            "COSMOS_CREATE_IF_MISSING": "true",
            "AzureWebJobsStorage": self.storage_connection,
            "PYTHONUNBUFFERED": "1",
            **self.app_settings,
        }

    def _start_hosts(self, port: int) -> list[str]:
        if self.use_core_tools:
            command = ["func", "start", "--port", str(port or 7071)]
            ready = r"(http://localhost:\d+)/api/"
            found = self._run(Service("functions", command, ready, self.host_environment()))
            return [found.group(1) + "/api"]
        names = host_names("devhost", self.host_count)
        hosts = [
            devhost_service(name, port if number == 0 else 0, self.host_environment())
            for number, name in enumerate(names)
        ]
        self.services += hosts
        return start_together(hosts)

    @contextmanager
    def extra_hosts(
        self, name: str, count: int = 1, **settings: str
    ) -> Iterator[list[tuple[str, Service]]]:
        """`count` more development hosts on the stack's emulators, with `settings` over the
        stack's (the same queue and container unless they say otherwise): (API URL, service)
        of each; stopped on leaving."""
        env = {**self.host_environment(), **settings}
        hosts = [devhost_service(host, 0, env) for host in host_names(name, count)]
        urls = start_together(hosts)
        try:
            yield list(zip(urls, hosts, strict=True))
        finally:
            for host in hosts:
                host.stop()

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.stack", description=__doc__)
    parser.add_argument("--cosmos-port", type=int, default=8081)
    parser.add_argument("--queue-port", type=int, default=10001)
    parser.add_argument("--port", type=int, default=7071, help="the first host's API port")
    parser.add_argument(
        "--hosts", type=int, default=1, help="development hosts on one queue and one container"
    )
    args = parser.parse_args()
    use_core_tools = shutil.which("func") is not None and args.hosts == 1
    stack = LocalStack(
        cosmos_port=args.cosmos_port,
        queue_port=args.queue_port,
        host_port=args.port,
        use_core_tools=use_core_tools,
        hosts=args.hosts,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    with stack:
        host = "Core Tools (func start)" if use_core_tools else "the development host"
        api_url = stack.api_url.replace("127.0.0.1", "localhost")
        print(f"Cosmos endpoint: {stack.cosmos_endpoint}")
        print(f"Azurite queues:  http://127.0.0.1:{args.queue_port}")
        print(f"Product API ({host}): {api_url}")
        for other in stack.api_urls[1:]:
            print(f"  another host on the same queue and container: {other}")
        print("Try:")
        print(f"  curl -s {api_url}/health")
        print(
            f"  curl -s -X POST {api_url}/products -H 'content-type: application/json' "
            """-d '{"categoryId":"bikes","name":"Road Warrior Saddle","price":65.15}'"""
        )
        print(f"Logs in {LOG_DIR.relative_to(ROOT)}/. Press Ctrl-C to stop.", flush=True)
        try:
            while all(s.process and s.process.poll() is None for s in stack.services):
                time.sleep(0.5)
            print("A service stopped; see the logs. Stopping the rest.", file=sys.stderr)
        except KeyboardInterrupt:
            print("\nStopping.")


if __name__ == "__main__":
    main()

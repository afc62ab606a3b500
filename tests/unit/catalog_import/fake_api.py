"""A stand-in for the catalog API: a real HTTP server on 127.0.0.1 (a free port) that answers
from a script and keeps every request it was sent."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int = 200
    body: Any = None  # sent as JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: longer than the client waits is a timeout
    drop: bool = False  # close the connection without answering


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


class FakeApi:
    """`on("POST", "/imports", answer, ...)` scripts the answers to a route, served in turn, the
    last one again and again; `sent` lists the requests, in order."""

    def __init__(self) -> None:
        self.scripts: dict[tuple[str, str], list[Answer]] = {}
        self.sent: list[Sent] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/api"

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.scripts[(method, f"/api{path}")] = list(answers)

    def sent_to(self, method: str, path: str) -> list[Sent]:
        return [s for s in self.sent if (s.method, s.path) == (method, f"/api{path}")]

    def answer(self, sent: Sent) -> Answer:
        with self.lock:
            self.sent.append(sent)
            script = self.scripts.get((sent.method, sent.path))
            if not script:
                return Answer(status=404, body={"detail": "not scripted"})
            return script.pop(0) if len(script) > 1 else script[0]

    def __enter__(self) -> FakeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(fake: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            path = urlsplit(self.path).path
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = fake.answer(Sent(self.command, path, headers, body))
            time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

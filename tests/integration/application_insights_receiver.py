"""A small Application Insights ingestion endpoint for tests: it accepts the Azure Monitor
exporters' `POST /v2.1/track` (a JSON list of envelopes, gzipped or not), answers as the service
does, and keeps every envelope."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRACK = "/v2.1/track"


class ApplicationInsightsReceiver:
    """Listens on a free port of 127.0.0.1 until stopped."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path != TRACK:
                    self.send_error(404)
                    return
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                received = json.loads(body)
                with receiver.lock:
                    receiver.envelopes += received
                answer = {"itemsReceived": len(received), "itemsAccepted": len(received)}
                reply = json.dumps({**answer, "errors": []}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def connection_string(self) -> str:
        port = self.server.server_address[1]
        return (
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            f"IngestionEndpoint=http://127.0.0.1:{port}/"
        )

    def of_type(self, base_type: str) -> list[dict[str, Any]]:
        """The `baseData` of every envelope of `base_type` (RequestData, MetricData, ...)."""
        with self.lock:
            return [
                e["data"]["baseData"] for e in self.envelopes if e["data"]["baseType"] == base_type
            ]

    def __enter__(self) -> ApplicationInsightsReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

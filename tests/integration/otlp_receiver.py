"""A small OTLP/HTTP receiver for tests: it accepts protobuf exports on /v1/traces, /v1/metrics
and /v1/logs, as a collector would, and keeps what arrived."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

SIGNALS: dict[str, tuple[Any, Any]] = {
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
}


def value_of(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def attributes_of(pairs: Any) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in pairs}


class OtlpReceiver:
    """Listens on a free port of 127.0.0.1 until stopped."""

    def __init__(self) -> None:
        self.requests: dict[str, list[Any]] = {path: [] for path in SIGNALS}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request_type, response_type = SIGNALS.get(self.path, (None, None))
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if request_type is None:
                    self.send_error(404)
                    return
                with receiver.lock:
                    receiver.requests[self.path].append(request_type.FromString(body))
                reply = response_type().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OtlpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _received(self, path: str) -> list[Any]:
        with self.lock:
            return list(self.requests[path])

    def spans(self) -> list[Any]:
        return [
            span
            for request in self._received("/v1/traces")
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]

    def resource_attributes(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for request in self._received("/v1/traces"):
            for resource in request.resource_spans:
                found.update(attributes_of(resource.resource.attributes))
        return found

    def metrics(self) -> Iterator[Any]:
        for request in self._received("/v1/metrics"):
            for resource in request.resource_metrics:
                for scope in resource.scope_metrics:
                    yield from scope.metrics

    def metric_names(self) -> set[str]:
        return {metric.name for metric in self.metrics()}

    def log_records(self) -> list[Any]:
        return [
            record
            for request in self._received("/v1/logs")
            for resource in request.resource_logs
            for scope in resource.scope_logs
            for record in scope.log_records
        ]

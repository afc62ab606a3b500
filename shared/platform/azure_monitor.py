"""Export to Application Insights through the Azure Monitor exporters, each built at its first
export instead of at start-up.

Importing `azure-monitor-opentelemetry-exporter` costs about as much CPU as the rest of a cold
start (it brings azure-identity, msal, cryptography and its generated REST client): built when
the SDK's export threads first export (a span batch after `OTEL_BSP_SCHEDULE_DELAY`, metrics
after `OTEL_METRIC_EXPORT_INTERVAL`), the exporters cost nothing before the first response.
Telemetry recorded in between waits in the SDK's processors as it always does.

The Azure Monitor distro (`azure-monitor-opentelemetry`) is not used: it instruments Django,
FastAPI, Flask, psycopg2, requests, urllib, urllib3 and httpx, none of which the app uses, and
adds live metrics and performance counters; the Azure SDKs' own spans come from azure-core
(`AZURE_TRACING_ENABLED`), as with OTLP. This module is imported only when
APPLICATIONINSIGHTS_CONNECTION_STRING is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricExporter


class OnFirstUse[T]:
    """A value built by `build` when it is first wanted (by whichever thread), once."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    def built(self) -> T | None:
        return self._value


def exporter_named(name: str, connection_string: str) -> OnFirstUse[Any]:
    """The package's exporter `name` for this connection string, built on first use."""

    def build() -> Any:
        from azure.monitor.opentelemetry import exporter

        return getattr(exporter, name)(connection_string=connection_string)

    return OnFirstUse(build)


class DeferredSpanExporter(SpanExporter):
    def __init__(self, connection_string: str) -> None:
        self.exporter: OnFirstUse[SpanExporter] = exporter_named(
            "AzureMonitorTraceExporter", connection_string
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.get().export(spans)

    def shutdown(self) -> None:
        if (built := self.exporter.built()) is not None:
            built.shutdown()


def span_exporter(connection_string: str) -> SpanExporter:
    """Spans to the Application Insights resource the connection string names (authenticated as
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING says)."""
    return DeferredSpanExporter(connection_string)


def metric_exporter(connection_string: str) -> MetricExporter:
    """Metrics to that resource, in Application Insights' own temporalities."""
    from shared.platform.azure_monitor_metrics_logs import DeferredMetricExporter

    return DeferredMetricExporter(connection_string)


def log_exporter(connection_string: str) -> LogRecordExporter:
    """Log records to that resource."""
    from shared.platform.azure_monitor_metrics_logs import DeferredLogExporter

    return DeferredLogExporter(connection_string)

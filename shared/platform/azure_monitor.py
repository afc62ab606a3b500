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
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

# Application Insights' own choice (the metric exporter's), declared before it is imported: the
# metric reader reads it when it is created. A unit test holds the two equal.
TEMPORALITIES: dict[type, AggregationTemporality] = {
    Counter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.DELTA,
    ObservableGauge: AggregationTemporality.CUMULATIVE,
    ObservableUpDownCounter: AggregationTemporality.CUMULATIVE,
    UpDownCounter: AggregationTemporality.CUMULATIVE,
}


class _OnFirstUse[T]:
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


def _exporter(name: str, connection_string: str) -> _OnFirstUse[Any]:
    """The package's exporter `name` for this connection string, built on first use."""

    def build() -> Any:
        from azure.monitor.opentelemetry import exporter

        return getattr(exporter, name)(connection_string=connection_string)

    return _OnFirstUse(build)


class DeferredSpanExporter(SpanExporter):
    def __init__(self, connection_string: str) -> None:
        self.exporter: _OnFirstUse[SpanExporter] = _exporter(
            "AzureMonitorTraceExporter", connection_string
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.get().export(spans)

    def shutdown(self) -> None:
        if (built := self.exporter.built()) is not None:
            built.shutdown()


class DeferredMetricExporter(MetricExporter):
    def __init__(self, connection_string: str) -> None:
        super().__init__(preferred_temporality=TEMPORALITIES)
        self.exporter: _OnFirstUse[MetricExporter] = _exporter(
            "AzureMonitorMetricExporter", connection_string
        )

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return self.exporter.get().export(metrics_data, timeout_millis=timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        built = self.exporter.built()
        return True if built is None else built.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if (built := self.exporter.built()) is not None:
            built.shutdown(timeout_millis=timeout_millis, **kwargs)


class DeferredLogExporter(LogRecordExporter):
    def __init__(self, connection_string: str) -> None:
        self.exporter: _OnFirstUse[LogRecordExporter] = _exporter(
            "AzureMonitorLogExporter", connection_string
        )

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return self.exporter.get().export(batch)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        built = self.exporter.built()
        return True if built is None else built.force_flush(timeout_millis)

    def shutdown(self) -> None:
        if (built := self.exporter.built()) is not None:
            built.shutdown()  # type: ignore[no-untyped-call]  # the SDK leaves it untyped


def azure_monitor_exporters(
    connection_string: str,
) -> tuple[SpanExporter, MetricExporter, LogRecordExporter]:
    """Exporters of traces, metrics and logs to the Application Insights resource the connection
    string names (authenticated as APPLICATIONINSIGHTS_AUTHENTICATION_STRING says)."""
    return (
        DeferredSpanExporter(connection_string),
        DeferredMetricExporter(connection_string),
        DeferredLogExporter(connection_string),
    )

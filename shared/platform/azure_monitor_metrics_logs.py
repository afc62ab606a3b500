"""The metric and log exporters to Application Insights, built at their first export (see
`shared.platform.azure_monitor`). Apart from the span exporter because the SDK modules they
derive from are imported only when the metric and log pipelines are set up, after a cold start's
first response."""

from __future__ import annotations

from collections.abc import Sequence
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

from shared.platform.azure_monitor import OnFirstUse, exporter_named

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


class DeferredMetricExporter(MetricExporter):
    def __init__(self, connection_string: str) -> None:
        super().__init__(preferred_temporality=TEMPORALITIES)
        self.exporter: OnFirstUse[MetricExporter] = exporter_named(
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
        self.exporter: OnFirstUse[LogRecordExporter] = exporter_named(
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

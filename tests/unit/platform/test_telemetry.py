"""Telemetry: exported where the settings say, spans that carry request charges, metrics by
name, and nothing at all (not even an import) when no exporter is configured."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from devtools.stack import ROOT
from shared.platform import (
    azure_monitor,
    azure_monitor_metrics_logs,
    metrics,
    telemetry,
    telemetry_pipelines,
)
from shared.platform.charges import add_charge
from shared.platform.settings import Settings
from shared.platform.telemetry import REQUEST_CHARGE_ATTRIBUTE, Exporter, exporter_for
from tests.unit.conftest import Captured

ENDPOINT = {"cosmos_endpoint": "https://127.0.0.1:8081/"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, Exporter.OTLP),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x"}, Exporter.AZURE_MONITOR),
        (
            {
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            },
            Exporter.AZURE_MONITOR,
        ),
    ],
    ids=["none", "otlp", "azure-monitor", "azure-monitor-first"],
)
def test_the_exporter_is_chosen_by_the_settings(
    values: dict[str, str], expected: Exporter | None
) -> None:
    assert exporter_for(Settings(**ENDPOINT, **values)) is expected


def test_without_an_exporter_spans_and_metrics_are_no_ops() -> None:
    assert telemetry.instruments() is None
    with telemetry.charged_span("work") as span:
        span.set("key", 1)
        add_charge(2.5)
        metrics.count_records(3, outcome="written")
    assert span.meter.total == 2.5  # the charge is still metered for the response header


def test_a_charged_span_carries_the_request_charge_spent_inside_it(captured: Captured) -> None:
    with telemetry.charged_span("outer") as outer, telemetry.charged_span("inner"):
        add_charge(2.0)
        add_charge(3.5)
    assert outer.meter.total == 5.5
    assert captured.span("inner").attributes[REQUEST_CHARGE_ATTRIBUTE] == 5.5
    assert captured.span("outer").attributes[REQUEST_CHARGE_ATTRIBUTE] == 5.5


def test_a_span_that_touched_no_cosmos_carries_no_charge(captured: Captured) -> None:
    with telemetry.charged_span("quiet"):
        pass
    assert REQUEST_CHARGE_ATTRIBUTE not in captured.span("quiet").attributes


def test_charges_added_to_the_current_span_accumulate(captured: Captured) -> None:
    with telemetry.span("ContainerProxy.query_items"):
        telemetry.add_charge_to_current_span(2.0)
        telemetry.add_charge_to_current_span(1.5)
    assert captured.span("ContainerProxy.query_items").attributes[REQUEST_CHARGE_ATTRIBUTE] == 3.5


def test_a_caller_s_trace_header_parents_the_span_when_no_trace_is_active(
    captured: Captured,
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    carrier = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    with telemetry.span("GET /api/health", kind="server", carrier=carrier):
        pass
    span = captured.span("GET /api/health")
    assert f"{span.context.trace_id:032x}" == trace_id
    assert span.parent is not None and f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"
    assert span.kind is SpanKind.SERVER


def test_a_span_left_by_an_exception_is_an_error(captured: Captured) -> None:
    with pytest.raises(RuntimeError), telemetry.span("failing"):
        raise RuntimeError("boom")
    assert captured.span("failing").status.status_code is StatusCode.ERROR


def test_each_cosmos_response_is_a_request_charge_point_named_by_its_operation(
    captured: Captured,
) -> None:
    metrics.record_cosmos_response(
        charge=10.29,
        status=201,
        method="POST",
        url="https://localhost:8081/dbs/cosmicworks/colls/products/docs",
        headers={"x-ms-cosmos-is-batch-request": "True"},
    )
    (point,) = captured.points("azure.cosmosdb.client.operation.request_charge")
    assert point.sum == 10.29 and point.count == 1
    assert dict(point.attributes) == {
        "db.system.name": "azure.cosmosdb",
        "db.namespace": "cosmicworks",
        "db.collection.name": "products",
        "db.operation.name": "execute_batch",
        "db.response.status_code": "201",
    }


def test_throttled_and_unavailable_answers_and_timeouts_are_counted(captured: Captured) -> None:
    url = "https://localhost:8081/dbs/d/colls/c/docs/x"
    for status in (429, 429, 503, 408, 200):
        metrics.record_cosmos_response(charge=0, status=status, method="GET", url=url, headers={})
    metrics.count_timeout()
    metrics.count_if_timeout(TimeoutError())
    metrics.count_if_timeout(ConnectionError())
    counts = {
        point.attributes["error.type"]: point.value
        for point in captured.points("catalog.cosmos.transient_failures")
    }
    assert counts == {"429": 2, "503": 1, "timeout": 3}


@pytest.mark.parametrize(
    ("method", "path", "headers", "operation"),
    [
        ("POST", "/dbs/d/colls/c/docs", {}, "create_item"),
        ("POST", "/dbs/d/colls/c/docs", {"x-ms-documentdb-is-upsert": "True"}, "upsert_item"),
        ("POST", "/dbs/d/colls/c/docs", {"x-ms-documentdb-isquery": "True"}, "query_items"),
        ("GET", "/dbs/d/colls/c/docs/p1", {}, "read_item"),
        ("GET", "/dbs/d/colls/c/docs", {}, "read_all_items"),
        ("PUT", "/dbs/d/colls/c/docs/p1", {}, "replace_item"),
        ("PATCH", "/dbs/d/colls/c/docs/p1", {}, "patch_item"),
        ("DELETE", "/dbs/d/colls/c/docs/p1", {}, "delete_item"),
        ("GET", "/dbs/d/colls/c/pkranges", {}, "get pkranges"),
        ("GET", "/dbs/d/colls/c", {}, "get container"),
        ("GET", "/", {}, "get account"),
    ],
)
def test_a_cosmos_request_is_named_by_what_it_does(
    method: str, path: str, headers: dict[str, str], operation: str
) -> None:
    attributes = metrics.cosmos_operation(method, f"https://localhost:8081{path}", headers)
    assert attributes["db.operation.name"] == operation


def test_ingestion_counts_records_batches_retried_messages_and_import_durations(
    captured: Captured,
) -> None:
    metrics.count_records(100, outcome="accepted")
    metrics.count_records(97, outcome="written")
    metrics.count_records(3, outcome="rejected")
    metrics.record_batch(100)
    metrics.record_batch(7)
    metrics.count_message_retried()
    metrics.record_import_duration(12.5)
    records = {
        p.attributes["catalog.record.outcome"]: p.value
        for p in captured.points("catalog.ingest.records")
    }
    assert records == {"accepted": 100, "written": 97, "rejected": 3}
    (batches,) = captured.points("catalog.ingest.batch.operations")
    assert (batches.count, batches.sum) == (2, 107)
    assert [p.value for p in captured.points("catalog.ingest.messages.retried")] == [1]
    assert [p.sum for p in captured.points("catalog.import.duration")] == [12.5]


def test_charges_on_spans_survive_concurrent_invocations(captured: Captured) -> None:
    async def invocation(name: str, charge: float) -> None:
        with telemetry.charged_span(name):
            await asyncio.sleep(0.01)
            add_charge(charge)

    async def main() -> None:
        await asyncio.gather(invocation("a", 1.0), invocation("b", 2.0))

    asyncio.run(main())
    assert captured.span("a").attributes[REQUEST_CHARGE_ATTRIBUTE] == 1.0
    assert captured.span("b").attributes[REQUEST_CHARGE_ATTRIBUTE] == 2.0


def _run_probe(probe: str) -> list[str]:
    """The lines `probe` prints, run by a fresh interpreter without telemetry settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINS"))}
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_a_cold_start_builds_no_exporter_nor_the_metric_and_log_pipelines() -> None:
    """The exporters' package is imported on the export threads, the metric and log SDKs once
    the first invocation has ended: neither by a cold start."""
    probe = (
        "import sys\n"
        "from shared.platform import telemetry\n"
        "from shared.platform.settings import Settings\n"
        "settings = Settings(cosmos_endpoint='https://127.0.0.1:8081/',\n"
        "    APPLICATIONINSIGHTS_CONNECTION_STRING='InstrumentationKey=k')\n"
        "print(telemetry.configure(settings), telemetry.instruments() is not None)\n"
        "late = ('azure.monitor', 'azure.identity', 'opentelemetry.sdk.metrics',\n"
        "    'opentelemetry.sdk._logs')\n"
        "print(sorted(m for m in sys.modules if m.startswith(late)))"
    )
    assert _run_probe(probe)[:2] == ["azure-monitor True", "[]"]


def test_what_the_first_invocation_measures_and_logs_is_exported_once_the_pipelines_exist() -> None:
    probe = """
import json, logging, sys, time
from opentelemetry import metrics, trace
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shared.platform import metrics as service_metrics, telemetry, telemetry_pipelines
from shared.platform.settings import Settings

class Collected(MetricExporter):
    def __init__(self):
        super().__init__()
        self.points = {}
    def export(self, data, timeout_millis=10_000, **kwargs):
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        self.points[metric.name] = getattr(point, "value", None)
        return MetricExportResult.SUCCESS
    def force_flush(self, timeout_millis=10_000):
        return True
    def shutdown(self, timeout_millis=30_000, **kwargs):
        pass

spans, collected, logs = InMemorySpanExporter(), Collected(), InMemoryLogRecordExporter()
telemetry_pipelines.sinks_for = lambda exporter, settings: telemetry_pipelines.Sinks(
    spans=lambda: spans, metrics=lambda: collected, logs=lambda: logs)
telemetry_pipelines.REST_OF_SETUP_DELAY_SECONDS = 0
logging.getLogger().setLevel(logging.INFO)
telemetry.configure(Settings(cosmos_endpoint='https://127.0.0.1:8081/',
    OTEL_EXPORTER_OTLP_ENDPOINT='http://127.0.0.1:9'))
with telemetry.span("GET /api/health", kind="server") as first:
    logging.getLogger("probe").info("during the first invocation")
    service_metrics.count_records(3, outcome="written")
    trace_id = first.span.get_span_context().trace_id
    print("before the first invocation ended:", type(metrics.get_meter_provider()).__name__)
deadline = time.monotonic() + 20
while not hasattr(metrics.get_meter_provider(), "force_flush") and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(0.1)
service_metrics.count_records(4, outcome="written")
metrics.get_meter_provider().force_flush()
get_logger_provider().force_flush()
exported = [(r.log_record.body, r.log_record.trace_id == trace_id)
            for r in logs.get_finished_logs() if r.log_record.body.startswith("during")]
print(json.dumps({"records": collected.points.get("catalog.ingest.records"), "logs": exported}))
"""
    lines = _run_probe(probe)
    assert lines[0] == "before the first invocation ended: _ProxyMeterProvider"
    assert json.loads(lines[1]) == {
        "records": 7,
        "logs": [["during the first invocation", True]],
    }


def test_a_deferred_exporter_is_built_once_on_its_first_use() -> None:
    built: list[int] = []
    deferred = azure_monitor.OnFirstUse(lambda: built.append(1) or len(built))
    assert deferred.built() is None
    assert (deferred.get(), deferred.get(), built) == (1, 1, [1])


def test_metrics_are_aggregated_with_application_insights_own_temporalities() -> None:
    from azure.monitor.opentelemetry.exporter.export.metrics._exporter import (
        APPLICATION_INSIGHTS_METRIC_TEMPORALITIES,
    )

    assert azure_monitor_metrics_logs.TEMPORALITIES == APPLICATION_INSIGHTS_METRIC_TEMPORALITIES


def test_in_azure_the_function_app_names_the_service_unless_otel_service_name_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("WEBSITE_SITE_NAME", "func-catalog-abc")
    assert telemetry_pipelines.service_resource().attributes["service.name"] == "func-catalog-abc"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "product-catalog")
    assert telemetry_pipelines.service_resource().attributes["service.name"] == "product-catalog"


def test_logs_are_first_exported_when_spans_are_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_BLRP_SCHEDULE_DELAY", raising=False)
    assert telemetry_pipelines.log_export_delay() == 5_000
    monkeypatch.setenv("OTEL_BLRP_SCHEDULE_DELAY", "100")
    assert telemetry_pipelines.log_export_delay() is None  # the SDK reads it

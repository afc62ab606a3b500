"""OpenTelemetry over real OTLP/HTTP: a development host exporting to a receiver the test runs,
API calls and an import through it, and the spans, metrics and logs that arrive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devtools.stack import LocalStack, devhost_service
from tests.factories import catalog, product_json, unique
from tests.integration.conftest import wait_for
from tests.integration.otlp_receiver import OtlpReceiver, attributes_of

CHARGE = "azure.cosmosdb.operation.request_charge"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SECRET_NAME = "s3cr3t-name-that-only-a-body-holds"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def traced_host(stack: LocalStack, receiver: OtlpReceiver) -> Iterator[str]:
    """A second development host with its own queues, exporting to the receiver."""
    env = {
        **stack.host_environment(),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_SERVICE_NAME": "product-catalog-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "INGEST_QUEUE": unique("traced-ingest"),
        "REJECTS_QUEUE": unique("traced-rejects"),
    }
    host = devhost_service("devhost-traced", 0, env)
    url = host.start().group(1)
    yield url
    host.stop()


@pytest.fixture(scope="module")
def exercised(traced_host: str, receiver: OtlpReceiver) -> dict[str, Any]:
    """A create (with the caller's trace header), a read, and an import with rejects."""
    headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    created = requests.post(
        f"{traced_host}/products", json=product_json(name=SECRET_NAME), headers=headers, timeout=30
    )
    assert created.status_code == 201, created.text
    assert requests.get(f"{traced_host}{created.headers['Location'][4:]}", timeout=30).ok
    started = requests.post(
        f"{traced_host}/imports", json=catalog(30, categories=2, invalid_every=10), timeout=30
    )
    assert started.status_code == 202, started.text
    import_id = started.json()["importId"]

    def finished() -> bool:
        progress = requests.get(f"{traced_host}/imports/{import_id}", timeout=30).json()
        return progress["state"] != "running"

    wait_for(finished, what="the traced import")
    wait_for(lambda: "catalog.import.duration" in receiver.metric_names(), what="import metrics")
    return {"import_id": import_id, "charge": float(created.headers["x-ms-request-charge"])}


def spans_named(receiver: OtlpReceiver, name: str) -> list[Any]:
    return [span for span in receiver.spans() if span.name == name]


def test_each_http_invocation_is_a_server_span_in_the_caller_s_trace_with_its_charge(
    exercised: dict[str, Any], receiver: OtlpReceiver
) -> None:
    (create,) = wait_for(lambda: spans_named(receiver, "POST /api/products"), what="the span")
    attributes = attributes_of(create.attributes)
    assert create.trace_id.hex() == TRACE_ID
    assert attributes["faas.name"] == "create_product"
    assert attributes["faas.invocation_id"]  # the worker passed the invocation's context
    assert attributes["http.route"] == "/api/products"
    assert attributes["http.response.status_code"] == 201
    assert attributes[CHARGE] == exercised["charge"] > 0
    assert spans_named(receiver, "GET /api/products/{categoryId}/{id}")
    assert receiver.resource_attributes()["service.name"] == "product-catalog-under-test"


def test_cosmos_sdk_calls_are_child_spans_that_carry_their_request_charge(
    exercised: dict[str, Any], receiver: OtlpReceiver
) -> None:
    (create,) = spans_named(receiver, "POST /api/products")
    children = [s for s in receiver.spans() if s.parent_span_id == create.span_id]
    sdk = [s for s in children if "create_item" in s.name]
    assert sdk, [s.name for s in children]
    assert attributes_of(sdk[0].attributes)[CHARGE] > 0


def test_an_import_is_traced_from_its_messages_to_its_batches(
    exercised: dict[str, Any], receiver: OtlpReceiver
) -> None:
    consumers = [s for s in receiver.spans() if s.name.startswith("process traced-ingest")]
    parts = spans_named(receiver, "ingest import part")
    batches = spans_named(receiver, "bulk batch")
    assert consumers and parts and batches
    invocations = {attributes_of(s.attributes).get("faas.invocation_id") for s in consumers}
    assert None not in invocations and len(invocations) == len(consumers)
    part_attributes = [attributes_of(part.attributes) for part in parts]
    assert {a["catalog.import.id"] for a in part_attributes} == {exercised["import_id"]}
    assert sum(a["catalog.ingest.rejected"] for a in part_attributes) == 3
    assert all(a[CHARGE] > 0 for a in part_attributes)
    assert all(attributes_of(b.attributes)[CHARGE] > 0 for b in batches)
    linked = {link.span_id for batch in batches for link in batch.links}
    assert linked & {part.span_id for part in parts}


def test_metrics_arrive_by_their_names_with_request_charges(
    exercised: dict[str, Any], receiver: OtlpReceiver
) -> None:
    wait_for(
        lambda: (
            {"catalog.ingest.records", "catalog.ingest.batch.operations"} <= receiver.metric_names()
        ),
        what="the ingestion metrics",
    )
    names = receiver.metric_names()
    assert {
        "azure.cosmosdb.client.operation.request_charge",
        "catalog.ingest.records",
        "catalog.ingest.batch.operations",
        "catalog.import.duration",
    } <= names
    charges = [
        point
        for metric in receiver.metrics()
        if metric.name == "azure.cosmosdb.client.operation.request_charge"
        for point in metric.histogram.data_points
    ]
    assert sum(point.sum for point in charges) > 0
    operations = {attributes_of(p.attributes).get("db.operation.name") for p in charges}
    assert {"create_item", "read_item", "execute_batch"} <= operations


def test_logs_are_exported_with_their_trace_and_nothing_holds_a_body_or_a_key(
    exercised: dict[str, Any], receiver: OtlpReceiver, stack: LocalStack
) -> None:
    records = wait_for(receiver.log_records, what="log records")
    assert any(record.trace_id and any(record.trace_id) for record in records)
    key = stack.host_environment()["COSMOS_KEY"]
    exported = " ".join(
        [str(value_of_record(record)) for record in records]
        + [str(attributes_of(span.attributes)) for span in receiver.spans()]
    )
    assert SECRET_NAME not in exported
    assert key not in exported


def value_of_record(record: Any) -> Any:
    return (record.body, attributes_of(record.attributes))


def test_every_trace_begins_at_an_invocation_not_at_the_host_s_own_queue_calls(
    exercised: dict[str, Any], receiver: OtlpReceiver
) -> None:
    """The development host shares the worker's process (the real host does not): its polling
    of the queues must not be exported as the app's telemetry. Spans of shared work (a bulk
    batch) begin traces of their own, linked to the invocations they serve."""
    server, consumer = 2, 5  # OTLP's SpanKind values
    roots = [span for span in receiver.spans() if not span.parent_span_id]
    assert {span.kind for span in roots} >= {server, consumer}
    unlinked = {(s.name, s.kind) for s in roots if s.kind not in (server, consumer) and not s.links}
    assert unlinked == set()

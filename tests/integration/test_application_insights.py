"""Export to Application Insights through the Azure Monitor exporters, over real HTTP to an
ingestion endpoint the test runs: a development host with only a connection string set sends
its requests, its Cosmos DB dependencies, its metrics and its logs, in Application Insights'
shapes, once the exporters are built on their first export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devtools.stack import LocalStack
from tests.factories import product_json, unique
from tests.integration.application_insights_receiver import ApplicationInsightsReceiver
from tests.integration.conftest import Api, extra_host, wait_for


@pytest.fixture(scope="module")
def receiver() -> Iterator[ApplicationInsightsReceiver]:
    with ApplicationInsightsReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def exported(stack: LocalStack, receiver: ApplicationInsightsReceiver) -> Iterator[Api]:
    """A host exporting to the receiver, a product created and read through it."""
    settings = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": receiver.connection_string,
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",  # no calls to Microsoft's endpoints
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "INGEST_QUEUE": unique("insights-ingest"),
        "REJECTS_QUEUE": unique("insights-rejects"),
    }
    with extra_host(stack, "devhost-insights", **settings) as (api, _):
        created = api.post("/products", json=product_json())
        assert created.status_code == 201, created.text
        assert api.get(created.headers["Location"][4:]).ok
        yield api


def named(items: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [item for item in items if item.get("name") == name]


def test_each_http_invocation_is_a_request_with_its_invocation_id_and_charge(
    exported: Api, receiver: ApplicationInsightsReceiver
) -> None:
    requests = wait_for(
        lambda: named(receiver.of_type("RequestData"), "POST /api/products"), what="the request"
    )
    (request,) = requests
    assert request["responseCode"] == "201"
    assert request["properties"]["faas.invocation_id"]
    assert float(request["properties"]["azure.cosmosdb.operation.request_charge"]) > 0


def test_cosmos_db_calls_are_dependencies(
    exported: Api, receiver: ApplicationInsightsReceiver
) -> None:
    dependencies = wait_for(lambda: receiver.of_type("RemoteDependencyData"), what="dependencies")
    assert any("create_item" in dependency["name"] for dependency in dependencies)


def test_metrics_and_logs_arrive(exported: Api, receiver: ApplicationInsightsReceiver) -> None:
    def charge_metric() -> list[dict[str, Any]]:
        return [
            data
            for data in receiver.of_type("MetricData")
            for metric in data["metrics"]
            if metric["name"] == "azure.cosmosdb.client.operation.request_charge"
        ]

    wait_for(charge_metric, what="the request charge metric")
    assert wait_for(lambda: receiver.of_type("MessageData"), what="log records")

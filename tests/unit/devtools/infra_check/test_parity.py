from __future__ import annotations

from pathlib import Path

import pytest

from devtools.infra_check.bicep import Templates
from devtools.infra_check.deployment import load_deployment
from devtools.infra_check.parity import NOT_DEPLOYED, expected_settings, settings_read
from devtools.infra_check.parity import check_parity as parity_check
from tests.unit.devtools.infra_check.conftest import INFRA, Plant


def parity(infra: Path) -> list[str]:
    return [f.message for f in parity_check(load_deployment(infra / "main.bicep", Templates()))]


def test_the_projects_templates_set_what_the_app_reads() -> None:
    assert parity(INFRA) == []


def test_every_setting_the_app_reads_is_deployed_or_left_out_for_a_reason() -> None:
    assert NOT_DEPLOYED.keys() <= settings_read()
    assert "COSMOS_ENDPOINT" in expected_settings()
    assert "COSMOS_KEY" not in expected_settings()
    assert "AzureWebJobsStorage" not in expected_settings()


def test_a_setting_the_app_reads_that_is_not_set_is_reported(plant: Plant) -> None:
    infra = plant(
        "core/function-app.bicep", "  { name: 'COSMOS_ENDPOINT', value: cosmosEndpoint }\n", ""
    )

    assert parity(infra) == ["app setting COSMOS_ENDPOINT: missing (the app reads it)"]


def test_a_setting_nothing_reads_is_reported(plant: Plant) -> None:
    infra = plant(
        "core/function-app.bicep",
        "{ name: 'INGEST_QUEUE', value: ingestQueueName }",
        "{ name: 'INGEST_QUEUE', value: ingestQueueName }\n  { name: 'COSMOS_KEY', value: 'k' }",
    )

    assert parity(infra) == ["app setting COSMOS_KEY: the app does not read it"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "param productsContainerName string = 'products'",
            "param productsContainerName string = 'items'",
            "app setting COSMOS_CONTAINER: 'items', the app's default is 'products'",
        ),
        (
            "param ingestQueueName string = 'product-ingest'",
            "param ingestQueueName string = 'ingest'",
            "queues: the templates create",
        ),
        (
            "param cosmosDatabaseName string = 'cosmicworks'",
            "param cosmosDatabaseName string = 'catalog'",
            "databases: the templates create ['catalog'], the app expects ['cosmicworks']",
        ),
    ],
)
def test_a_name_other_than_the_apps_default_is_reported(
    plant: Plant, old: str, new: str, expected: str
) -> None:
    assert any(expected in message for message in parity(plant("main.bicep", old, new)))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("paths: ['/categoryId']", "paths: ['/category']"),
        ("defaultTtl: -1", "defaultTtl: 3600"),
    ],
)
def test_a_container_unlike_the_apps_is_reported(plant: Plant, old: str, new: str) -> None:
    (message,) = parity(plant("core/cosmos.bicep", old, new))

    assert message.startswith("containers (name: partition key, default TTL): the templates create")

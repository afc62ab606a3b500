from __future__ import annotations

from pathlib import Path

import pytest

from devtools.infra_check.bicep import Templates
from devtools.infra_check.deployment import load_deployment
from devtools.infra_check.posture import check_posture
from tests.unit.devtools.infra_check.conftest import INFRA, Plant


def posture(infra: Path) -> list[str]:
    return [f.message for f in check_posture(load_deployment(infra / "main.bicep", Templates()))]


def test_the_projects_templates_hold_the_posture() -> None:
    assert posture(INFRA) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "core/cosmos.bicep",
            "disableLocalAuth: true",
            "disableLocalAuth: false",
            "account: properties.disableLocalAuth is False, must be True",
        ),
        (
            "core/storage.bicep",
            "allowSharedKeyAccess: false",
            "allowSharedKeyAccess: vnetEnabled",
            "account: properties.allowSharedKeyAccess is an expression, must be False",
        ),
        (
            "core/monitoring.bicep",
            "    DisableLocalAuth: true\n",
            "",
            "applicationInsights: properties.DisableLocalAuth is not set (must be True)",
        ),
        (
            "core/function-app.bicep",
            "httpsOnly: true",
            "httpsOnly: false",
            "site: properties.httpsOnly is False, must be True",
        ),
        (
            "core/function-app.bicep",
            "minTlsVersion: '1.2'",
            "minTlsVersion: '1.0'",
            "site: properties.siteConfig.minTlsVersion is '1.0', must be '1.2'",
        ),
        (
            "core/storage.bicep",
            "minimumTlsVersion: 'TLS1_2'",
            "minimumTlsVersion: 'TLS1_1'",
            "account: properties.minimumTlsVersion is 'TLS1_1', must be 'TLS1_2'",
        ),
        (
            "core/function-app.bicep",
            "ftpsState: 'Disabled'",
            "ftpsState: 'FtpsOnly'",
            "site: properties.siteConfig.ftpsState is 'FtpsOnly', must be 'Disabled'",
        ),
        (
            "core/function-app.bicep",
            "  name: 'ftp'\n",
            "  name: 'web'\n",
            "basic publishing credentials (ftp) are not switched off",
        ),
        (
            "core/monitoring.bicep",
            "output connectionString string = applicationInsights.properties.ConnectionString",
            "output connectionString string = applicationInsights.listKeys().key1",
            "listKeys(): reads a key or secret into the deployment",
        ),
        (
            "core/function-app.bicep",
            "{ name: 'PYTHON_ENABLE_OPENTELEMETRY', value: 'true' }",
            "{ name: 'FUNCTIONS_WORKER_RUNTIME', value: 'python' }",
            "app setting FUNCTIONS_WORKER_RUNTIME: refused on Flex Consumption",
        ),
        (
            "core/function-app.bicep",
            "{ name: 'PYTHON_ENABLE_OPENTELEMETRY', value: 'true' }",
            "{ name: 'PYTHON_ENABLE_OPENTELEMETRY', value: 'AccountKey=abc' }",
            "app setting PYTHON_ENABLE_OPENTELEMETRY: holds a key or token",
        ),
    ],
)
def test_a_weakened_template_is_reported(
    plant: Plant, file: str, old: str, new: str, expected: str
) -> None:
    assert expected in posture(plant(file, old, new))


def test_a_missing_resource_cannot_pass_its_posture_by_absence(plant: Plant) -> None:
    infra = plant(
        "main.bicep",
        "module monitoring 'core/monitoring.bicep' = {",
        "module monitoring 'core/identity.bicep' = {",
    )

    assert "no Microsoft.Insights/components is declared, so its posture is unchecked" in posture(
        infra
    )

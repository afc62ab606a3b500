"""The checker is not vacuous: mistakes planted in copies of the project's templates are each
reported, and the project's own templates have none."""

from __future__ import annotations

import pytest

from devtools.infra_check.repository import check_repository, check_templates
from tests.unit.devtools.infra_check.conftest import INFRA, PROJECT_ROOT, Plant

PLANTED = [
    pytest.param(
        "core/storage.bicep",
        "allowBlobPublicAccess: false",
        "allowBlobPublicAcess: false",
        "properties.allowBlobPublicAcess: not a property of "
        "StorageAccountCreateParameters.properties in Microsoft.Storage/storageAccounts@2025-06-01",
        id="misspelt property",
    ),
    pytest.param(
        "core/function-app.bicep",
        "serverFarmId: plan.id",
        "serverfarmId: plan.id",
        "(the model spells it 'serverFarmId')",
        id="wrong case",
    ),
    pytest.param(
        "core/function-app.bicep",
        "resource site 'Microsoft.Web/sites@2024-11-01'",
        "resource site 'Microsoft.Web/sites@2023-01-01'",
        "properties.functionAppConfig: not a property of Site.properties in "
        "Microsoft.Web/sites@2023-01-01",
        id="api-version before functionAppConfig",
    ),
    pytest.param(
        "core/function-app.bicep",
        "type: 'UserAssignedIdentity'",
        "type: 'UserAssigned'",
        "properties.functionAppConfig.deployment.storage.authentication.type: 'UserAssigned' is "
        "not one of AuthenticationType",
        id="wrong enum value",
    ),
    pytest.param(
        "core/cosmos.bicep",
        "resource: { id: databaseName }",
        "resource: { id: databaseNmae }",
        "databaseNmae: not declared",
        id="undefined symbol",
    ),
    pytest.param(
        "main.bicep",
        "    cosmosEndpoint: cosmos.outputs.endpoint\n",
        "    cosmosEndpoint: cosmos.outputs.documentEndpoint\n",
        "cosmos.outputs.documentEndpoint: the module has no output 'documentEndpoint'",
        id="module output",
    ),
    pytest.param(
        "core/network.bicep",
        "privateEndpointNetworkPolicies: 'Disabled'",
        "privateEndpointNetworkPolicies: 'Off'",
        "'Off' is not one of VirtualNetworkPrivateEndpointNetworkPolicies",
        id="wrong enum value in the optional network",
    ),
    pytest.param(
        "core/identity.bicep",
        "output clientId string = identity.properties.clientId",
        "output clientId string = identity.properties.clientId\nvar broken = {",
        "syntax error",
        id="syntax error",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), PLANTED)
def test_a_planted_mistake_is_reported(
    plant: Plant, file: str, old: str, new: str, expected: str
) -> None:
    infra = plant(file, old, new)

    messages = [finding.render(infra) for finding in check_templates(infra).findings]

    assert any(expected in message for message in messages), messages


def test_the_projects_templates_and_package_have_no_findings() -> None:
    report = check_repository(PROJECT_ROOT)

    assert [finding.render(PROJECT_ROOT) for finding in report.findings] == []
    assert report.bicep_files == len(list(INFRA.rglob("*.bicep")))
    assert report.keys_checked > 150

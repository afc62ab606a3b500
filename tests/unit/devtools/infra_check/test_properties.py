from __future__ import annotations

from devtools.infra_check.properties import check_resources
from tests.unit.devtools.infra_check.conftest import WriteBicep


def messages(write_bicep: WriteBicep, source: str) -> list[str]:
    return [finding.message for finding in check_resources(write_bicep(source)).findings]


def site(properties: str, *, version: str = "2024-11-01") -> str:
    return f"""
param plan string
resource site 'Microsoft.Web/sites@{version}' = {{
  name: 'app'
  location: 'westeurope'
  properties: {{
    serverFarmId: plan
    {properties}
  }}
}}
"""


def test_keys_of_the_model_pass(write_bicep: WriteBicep) -> None:
    report = check_resources(
        write_bicep(site("httpsOnly: true\nsiteConfig: { ftpsState: 'Disabled' }"))
    )

    assert report.findings == []
    assert (
        report.keys_checked == 6
    )  # location, properties, serverFarmId, httpsOnly, siteConfig, ftpsState


def test_a_misspelt_key_is_not_a_property(write_bicep: WriteBicep) -> None:
    assert messages(write_bicep, site("httpsOnyl: true")) == [
        "properties.httpsOnyl: not a property of Site.properties in Microsoft.Web/sites@2024-11-01"
    ]


def test_a_key_in_the_wrong_case_names_the_models_spelling(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("HttpsOnly: true"))

    assert message.endswith("(the model spells it 'httpsOnly')")


def test_a_read_only_key_is_reported(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("defaultHostName: 'x'"))

    assert message.startswith("properties.defaultHostName: read-only")


def test_a_value_outside_the_enum_is_reported(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("siteConfig: { ftpsState: 'Off' }"))

    assert message.startswith("properties.siteConfig.ftpsState: 'Off' is not one of FtpsState")


def test_a_literal_of_another_type_is_reported(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("httpsOnly: 'yes'"))

    assert message.startswith("properties.httpsOnly: a string where the model takes a boolean")


def test_keys_are_checked_inside_arrays_loops_ternaries_and_variables(
    write_bicep: WriteBicep,
) -> None:
    found = messages(
        write_bicep,
        """
param on bool
var settings = [{ name: 'A', valeu: '1' }]
resource site 'Microsoft.Web/sites@2024-11-01' = [for i in range(0, 2): {
  name: 'app${i}'
  properties: {
    siteConfig: on ? { appSettings: settings } : { ftpState: 'Disabled' }
  }
}]
""",
    )

    assert sorted(message.split(":")[0] for message in found) == [
        "properties.siteConfig.appSettings[].valeu",
        "properties.siteConfig.ftpState",
    ]


def test_an_api_version_the_sdk_does_not_carry_is_reported(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("httpsOnly: true", version="2022-03-01"))

    assert "Microsoft.Web/sites@2022-03-01: the SDK (azure.mgmt.web) has no models" in message


def test_function_app_config_before_2023_12_01_is_not_a_property(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("functionAppConfig: {}", version="2023-01-01"))

    assert message.startswith("properties.functionAppConfig: not a property")


def test_existing_resources_and_expressions_are_left_alone(write_bicep: WriteBicep) -> None:
    found = messages(
        write_bicep,
        """
param anything object
resource old 'Microsoft.Web/sites@2024-11-01' existing = { name: 'old' }
resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: 'app'
  properties: { siteConfig: anything, httpsOnly: old.properties.httpsOnly }
}
""",
    )

    assert found == []


def test_a_literal_where_the_model_takes_an_object_is_reported(write_bicep: WriteBicep) -> None:
    (message,) = messages(write_bicep, site("siteConfig: 'minimal'"))

    assert message.startswith(
        "properties.siteConfig: a string where the model takes an object (SiteConfig)"
    )

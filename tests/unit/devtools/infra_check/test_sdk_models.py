from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from devtools.infra_check.sdk_models import (
    SDKS,
    ModelNotFound,
    api_versions,
    resource_shape,
)


def test_properties_flattened_by_msrest_nest_under_properties() -> None:
    site = resource_shape("Microsoft.Web/sites", "2024-11-01")

    assert "properties" in site.groups
    assert "functionAppConfig" in site.groups["properties"].fields
    assert "serverFarmId" in site.groups["properties"].fields


def test_function_app_config_is_not_in_sites_before_2023_12_01() -> None:
    site = resource_shape("Microsoft.Web/sites", "2023-01-01")

    assert "functionAppConfig" not in site.groups["properties"].fields


def test_an_api_version_the_sdk_lacks_is_refused_naming_those_it_has() -> None:
    with pytest.raises(ModelNotFound, match=r"2022-03-01.*it has .*2024-11-01"):
        resource_shape("Microsoft.Web/sites", "2022-03-01")


def test_an_unregistered_resource_type_is_refused() -> None:
    with pytest.raises(ModelNotFound, match="no SDK model is registered"):
        resource_shape("Microsoft.Cache/redis", "2024-11-01")


def test_read_only_fields_are_marked() -> None:
    properties = resource_shape("Microsoft.Web/sites", "2024-11-01").groups["properties"]

    assert properties.fields["defaultHostName"].readonly
    assert not properties.fields["httpsOnly"].readonly


def test_a_field_knows_its_enum_from_the_sdk() -> None:
    properties = resource_shape("Microsoft.Web/sites", "2024-11-01").groups["properties"]
    site_config = properties.fields["siteConfig"].shape()

    assert site_config is not None
    enum = site_config.fields["ftpsState"].enum
    assert enum is not None and {item.value for item in enum} == {
        "AllAllowed",
        "FtpsOnly",
        "Disabled",
    }


def test_a_versioned_sdk_lists_the_api_versions_it_carries() -> None:
    assert {"2023-01-01", "2024-11-01"} <= set(api_versions(SDKS["Microsoft.Web"]))


@pytest.mark.parametrize("namespace", [name for name, sdk in SDKS.items() if sdk.only])
def test_a_single_version_sdk_is_registered_with_the_version_it_was_generated_for(
    namespace: str,
) -> None:
    sdk = SDKS[namespace]
    folder = Path(importlib.import_module(sdk.package).__path__[0])
    sources = [folder / "_configuration.py", *sorted((folder / "operations").glob("*.py"))]

    assert any(
        f'"{sdk.only}"' in path.read_text(encoding="utf-8") for path in sources if path.is_file()
    )

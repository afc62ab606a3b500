"""The REST model of a resource type at an api-version, read from the Azure management SDKs.

The SDKs used here are msrest-style: each model class has `_attribute_map` (Python attribute ->
REST key, with `properties.x` for what the REST body nests under `properties`) and `_validation`
(read-only attributes); enum values are the SDK's enum classes named in `__init__`'s annotations.

A package either carries one models module per api-version (`azure.mgmt.web.v2024_11_01`), and
then every version it carries can be checked exactly, or a single api-version, and then only that
one can: the templates use the versions these packages carry.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field
from enum import Enum
from types import ModuleType
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Sdk:
    """A management SDK package; `only` is its one api-version when it has no versioned modules."""

    package: str
    only: str | None = None


SDKS: dict[str, Sdk] = {
    "Microsoft.Resources": Sdk(package="azure.mgmt.resource.resources"),
    "Microsoft.ManagedIdentity": Sdk(package="azure.mgmt.msi"),
    "Microsoft.Authorization": Sdk(package="azure.mgmt.authorization"),
    "Microsoft.Insights": Sdk(package="azure.mgmt.applicationinsights"),
    "Microsoft.Web": Sdk(package="azure.mgmt.web"),
    "Microsoft.OperationalInsights": Sdk(package="azure.mgmt.loganalytics", only="2025-07-01"),
    "Microsoft.Storage": Sdk(package="azure.mgmt.storage", only="2025-06-01"),
    "Microsoft.DocumentDB": Sdk(package="azure.mgmt.cosmosdb", only="2025-10-15"),
    "Microsoft.Network/privateDnsZones": Sdk(package="azure.mgmt.privatedns", only="2024-06-01"),
    "Microsoft.Network": Sdk(package="azure.mgmt.network", only="2025-05-01"),
}

# The model of each resource type's PUT body (a create-parameters model where the SDK has one).
MODEL_NAMES: dict[str, str] = {
    "Microsoft.Resources/resourceGroups": "ResourceGroup",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "Identity",
    "Microsoft.Authorization/roleAssignments": "RoleAssignmentCreateParameters",
    "Microsoft.Insights/components": "ApplicationInsightsComponent",
    "Microsoft.Web/serverfarms": "AppServicePlan",
    "Microsoft.Web/sites": "Site",
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies": (
        "CsmPublishingCredentialsPoliciesEntity"
    ),
    "Microsoft.OperationalInsights/workspaces": "Workspace",
    "Microsoft.Storage/storageAccounts": "StorageAccountCreateParameters",
    "Microsoft.Storage/storageAccounts/blobServices": "BlobServiceProperties",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "BlobContainer",
    "Microsoft.Storage/storageAccounts/queueServices": "QueueServiceProperties",
    "Microsoft.Storage/storageAccounts/queueServices/queues": "StorageQueue",
    "Microsoft.DocumentDB/databaseAccounts": "DatabaseAccountCreateUpdateParameters",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases": "SqlDatabaseCreateUpdateParameters",
    "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers": (
        "SqlContainerCreateUpdateParameters"
    ),
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments": (
        "SqlRoleAssignmentCreateUpdateParameters"
    ),
    "Microsoft.Network/virtualNetworks": "VirtualNetwork",
    "Microsoft.Network/privateEndpoints": "PrivateEndpoint",
    "Microsoft.Network/privateEndpoints/privateDnsZoneGroups": "PrivateDnsZoneGroup",
    "Microsoft.Network/privateDnsZones": "PrivateZone",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "VirtualNetworkLink",
}

_TYPE_CASEFOLD = {name.casefold(): name for name in MODEL_NAMES}
_ENUM_REFERENCE = re.compile(r"_models\.(\w+)")


class ModelNotFound(LookupError):
    """No SDK model for a resource type or api-version; the message says what there is."""


@dataclass(frozen=True, kw_only=True)
class Field:
    """One REST key of a model: its msrest type (`str`, `[Subnet]`, `{str}`, `SiteConfig`)."""

    key: str
    type_name: str
    readonly: bool
    enum: type[Enum] | None
    models: ModuleType

    def element(self) -> Field:
        """The field's element: of a list (`[X]`) or of a dictionary's values (`{X}`)."""
        return Field(
            key=self.key,
            type_name=self.type_name[1:-1],
            readonly=self.readonly,
            enum=self.enum,
            models=self.models,
        )

    def shape(self) -> Shape | None:
        """The keys of the object this field holds, when its type is a model."""
        model = getattr(self.models, self.type_name, None)
        return shape_of(model, self.models) if inspect.isclass(model) else None


@dataclass(kw_only=True)
class Shape:
    """The REST keys an object may hold; msrest's flattened `properties.x` form a nested shape."""

    model: str
    fields: dict[str, Field] = field(default_factory=dict)
    groups: dict[str, Shape] = field(default_factory=dict)

    def names(self) -> list[str]:
        return sorted({*self.fields, *self.groups})


def _rest_path(key: str) -> list[str]:
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", key)]


def _enum_of(model: type, attribute: str, models: ModuleType) -> type[Enum] | None:
    parameter = inspect.signature(model).parameters.get(attribute)
    if parameter is None:
        return None
    for name in _ENUM_REFERENCE.findall(str(parameter.annotation)):
        candidate = getattr(models, name, None)
        if inspect.isclass(candidate) and issubclass(candidate, Enum):
            return candidate
    return None


def shape_of(model: type, models: ModuleType) -> Shape:
    """The REST keys of an msrest model class, nested as the REST body nests them."""
    shape = Shape(model=model.__name__)
    validation: dict[str, dict[str, Any]] = getattr(model, "_validation", {})
    for attribute, spec in getattr(model, "_attribute_map", {}).items():
        *groups, key = _rest_path(spec["key"])
        target = shape
        for group in groups:
            target = target.groups.setdefault(group, Shape(model=f"{model.__name__}.{group}"))
        target.fields[key] = Field(
            key=key,
            type_name=spec["type"],
            readonly=bool(validation.get(attribute, {}).get("readonly")),
            enum=_enum_of(model, attribute, models),
            models=models,
        )
    return shape


def _sdk_for(resource_type: str) -> Sdk:
    namespace = resource_type.split("/")[0]
    for prefix in (resource_type.split("/")[0] + "/" + resource_type.split("/")[1], namespace):
        if prefix in SDKS:
            return SDKS[prefix]
    raise ModelNotFound(f"{resource_type}: no SDK package is registered for its namespace")


def api_versions(sdk: Sdk) -> list[str]:
    """The api-versions the package carries models of."""
    if sdk.only is not None:
        return [sdk.only]
    package = importlib.import_module(sdk.package)
    return sorted(
        info.name[1:].replace("_", "-", 2)
        for info in pkgutil.iter_modules(package.__path__)
        if re.fullmatch(r"v\d{4}_\d{2}_\d{2}(_preview)?", info.name)
    )


def models_module(resource_type: str, api_version: str) -> ModuleType:
    """The SDK models module that describes `resource_type` at `api_version`."""
    sdk = _sdk_for(resource_type)
    carried = api_versions(sdk)
    if api_version not in carried:
        raise ModelNotFound(
            f"{resource_type}@{api_version}: the SDK ({sdk.package}) has no models of this "
            f"api-version; it has {', '.join(carried)}"
        )
    if sdk.only is not None:
        return importlib.import_module(f"{sdk.package}.models")
    return importlib.import_module(f"{sdk.package}.v{api_version.replace('-', '_')}.models")


def resource_shape(resource_type: str, api_version: str) -> Shape:
    """The keys the PUT body of `resource_type` may hold at `api_version`."""
    canonical = _TYPE_CASEFOLD.get(resource_type.casefold())
    if canonical is None:
        raise ModelNotFound(f"{resource_type}: no SDK model is registered for this resource type")
    models = models_module(canonical, api_version)
    model = getattr(models, MODEL_NAMES[canonical], None)
    if not inspect.isclass(model):
        raise ModelNotFound(
            f"{canonical}@{api_version}: {MODEL_NAMES[canonical]} is not in {models.__name__}"
        )
    return shape_of(model, models)

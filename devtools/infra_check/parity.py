"""The templates deploy what the app expects: exactly the app settings it (and the host, and the
SDKs it uses) read, and the containers, partition keys, default TTL and queues of its defaults.

The app's side is read from the app itself: `Settings` (every setting it reads, with its
defaults) and the partition keys and TTL the Cosmos module creates containers with.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic.fields import FieldInfo

from devtools.infra_check.app_settings import app_settings, function_apps
from devtools.infra_check.bicep import Resource, entry_at
from devtools.infra_check.deployment import UNRESOLVED, Scope, literal
from devtools.infra_check.findings import Finding
from shared.platform.cosmos import (
    IMPORTS_PARTITION_KEY,
    PRODUCTS_DEFAULT_TTL,
    PRODUCTS_PARTITION_KEY,
)
from shared.platform.settings import Settings

# Settings the app reads that the templates leave out on purpose.
NOT_DEPLOYED: Mapping[str, str] = {
    "COSMOS_KEY": "Cosmos DB keys are off; the identity is used",
    "COSMOS_CREATE_IF_MISSING": "the templates create the database and containers",
    "COSMOS_VERIFY_TLS": "true unless the endpoint is a local emulator",
    "AzureWebJobsStorage": "a connection string carries a key; identity-based settings replace it",
    "AzureWebJobsStorage__accountName": "the service URIs are given instead",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "Application Insights is the exporter in Azure",
    "HTTP_TIMEOUT_SECONDS": "its default serves",
    "BULK_MAX_CONCURRENCY": "its default serves",
    "BULK_INITIAL_CONCURRENCY": "its default serves",
    "BULK_LINGER_MS": "its default serves",
    "WRITER_RETRY_BUDGET_SECONDS": "its default serves",
}

# Settings that `Settings` does not read but the host, the worker or an SDK the app uses does.
READ_OUTSIDE_SETTINGS: Mapping[str, str] = {
    "AzureWebJobsStorage__blobServiceUri": "the host keeps its locks and keys in blobs",
    "AZURE_CLIENT_ID": "DefaultAzureCredential (the Cosmos client) picks the identity by it",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": (
        "Entra-authenticated export by the host and by the app's Azure Monitor exporter"
    ),
    "PYTHON_ENABLE_OPENTELEMETRY": "the worker hands each invocation the host's trace context",
}

# App settings whose value must be the app's default, by the `Settings` field they set.
NAMES_BY_FIELD: Mapping[str, str] = {
    "COSMOS_DATABASE": "cosmos_database",
    "COSMOS_CONTAINER": "cosmos_container",
    "COSMOS_IMPORTS_CONTAINER": "cosmos_imports_container",
    "INGEST_QUEUE": "ingest_queue",
    "REJECTS_QUEUE": "rejects_queue",
}

CONTAINERS_TYPE = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"
DATABASES_TYPE = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases"
QUEUES_TYPE = "Microsoft.Storage/storageAccounts/queueServices/queues"


def setting_name(name: str, info: FieldInfo) -> str:
    """The environment name of a `Settings` field, as the app reads it."""
    return info.alias or name.upper()


def settings_read() -> set[str]:
    return {setting_name(name, info) for name, info in Settings.model_fields.items()}


def expected_settings() -> set[str]:
    return (settings_read() - NOT_DEPLOYED.keys()) | READ_OUTSIDE_SETTINGS.keys()


def _default(field: str) -> object:
    return Settings.model_fields[field].default


def check_parity(root: Scope) -> list[Finding]:
    found = [
        Finding(
            file=root.template.path,
            message=f"{name}: listed as not deployed, but the app does not read it",
        )
        for name in sorted(NOT_DEPLOYED.keys() - settings_read())
    ]
    apps = function_apps(root)
    if len(apps) != 1:
        found.append(
            Finding(
                file=root.template.path, message=f"{len(apps)} function apps declared, expected 1"
            )
        )
    for scope, site in apps:
        found += _check_settings(scope, site)
    return found + _check_containers(root) + _check_queues(root) + _check_databases(root)


def _check_settings(scope: Scope, site: Resource) -> list[Finding]:
    settings = {setting.name: setting for setting in app_settings(scope, site)}
    where = site.body if site.body is not None else scope.template.root
    expected = expected_settings()
    found = [
        scope.template.finding(where, f"app setting {name}: missing (the app reads it)")
        for name in sorted(expected - settings.keys())
    ]
    found += [
        scope.template.finding(
            settings[name].value, f"app setting {name}: the app does not read it"
        )
        for name in sorted(settings.keys() - expected)
    ]
    for name, field in NAMES_BY_FIELD.items():
        if name in settings:
            value = literal(settings[name].value, scope)
            if value != _default(field):
                shown = "an expression" if value is UNRESOLVED else repr(value)
                found.append(
                    scope.template.finding(
                        settings[name].value,
                        f"app setting {name}: {shown}, the app's default is {_default(field)!r}",
                    )
                )
    return found


def _deployed(root: Scope, resource_type: str) -> list[tuple[Scope, Resource]]:
    return [
        (scope, resource)
        for scope in root.walk()
        for resource in scope.template.resources
        if resource.type == resource_type and not resource.existing
    ]


def _check_containers(root: Scope) -> list[Finding]:
    expected = {
        _default("cosmos_container"): (PRODUCTS_PARTITION_KEY, PRODUCTS_DEFAULT_TTL),
        _default("cosmos_imports_container"): (IMPORTS_PARTITION_KEY, None),
    }
    declared: dict[object, tuple[object, object]] = {}
    for scope, resource in _deployed(root, CONTAINERS_TYPE):
        node = entry_at(resource.body, "properties.resource")
        value = literal(node, scope) if node is not None else UNRESOLVED
        if not isinstance(value, dict):
            where = resource.body if resource.body is not None else scope.template.root
            return [scope.template.finding(where, "container: properties.resource is not literal")]
        paths = value.get("partitionKey", {}).get("paths", [])
        declared[value.get("id")] = (
            paths[0] if len(paths) == 1 else paths,
            value.get("defaultTtl"),
        )
    return _compare(root, "containers (name: partition key, default TTL)", declared, expected)


def _names(scope: Scope, resource: Resource) -> list[object]:
    """The names a resource declaration creates: its loop's iterable, or its one name."""
    iterable = resource.loop.named_children[-2] if resource.loop is not None else None
    source = iterable if iterable is not None else entry_at(resource.body, "name")
    value = literal(source, scope) if source is not None else UNRESOLVED
    return value if isinstance(value, list) else [value]


def _check_queues(root: Scope) -> list[Finding]:
    queues = [
        name for scope, queue in _deployed(root, QUEUES_TYPE) for name in _names(scope, queue)
    ]
    expected = [_default("ingest_queue"), _default("rejects_queue")]
    return _compare(root, "queues", sorted(map(str, queues)), sorted(map(str, expected)))


def _check_databases(root: Scope) -> list[Finding]:
    databases = [
        name for scope, db in _deployed(root, DATABASES_TYPE) for name in _names(scope, db)
    ]
    return _compare(
        root, "databases", list(map(str, databases)), [str(_default("cosmos_database"))]
    )


def _compare(root: Scope, what: str, declared: object, expected: object) -> list[Finding]:
    if declared == expected:
        return []
    return [
        Finding(
            file=root.template.path,
            message=f"{what}: the templates create {declared!r}, the app expects {expected!r}",
        )
    ]

"""The security posture the templates promise, asserted on the parsed templates: keys off on
Cosmos DB, Storage and Application Insights, HTTPS only, TLS 1.2 at least, FTP and basic
publishing credentials off, no `list*()` call that would pull a key into the deployment, and no
app setting that Flex Consumption refuses or that carries a key."""

from __future__ import annotations

from collections.abc import Mapping

from tree_sitter import Node

from devtools.infra_check.app_settings import app_settings, function_apps
from devtools.infra_check.bicep import Template, entry_at, string_value, text
from devtools.infra_check.deployment import UNRESOLVED, Scope, literal
from devtools.infra_check.findings import Finding

# For every resource of a type, the literal each path must hold.
RULES: Mapping[str, Mapping[str, object]] = {
    "Microsoft.DocumentDB/databaseAccounts": {
        "properties.disableLocalAuth": True,
        "properties.minimalTlsVersion": "Tls12",
    },
    "Microsoft.Storage/storageAccounts": {
        "properties.allowSharedKeyAccess": False,
        "properties.allowBlobPublicAccess": False,
        "properties.supportsHttpsTrafficOnly": True,
        "properties.minimumTlsVersion": "TLS1_2",
    },
    "Microsoft.Insights/components": {"properties.DisableLocalAuth": True},
    "Microsoft.OperationalInsights/workspaces": {"properties.features.disableLocalAuth": True},
    "Microsoft.Web/sites": {
        "properties.httpsOnly": True,
        "properties.siteConfig.minTlsVersion": "1.2",
        "properties.siteConfig.ftpsState": "Disabled",
    },
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies": {"properties.allow": False},
}

# Each of these must be declared, so that no rule holds merely because nothing is there.
REQUIRED_TYPES = frozenset(RULES)
PUBLISHING_POLICIES = frozenset({"ftp", "scm"})

# App settings of other plans that Flex Consumption refuses (its runtime is in functionAppConfig).
FLEX_REFUSED_SETTINGS = frozenset(
    {
        "FUNCTIONS_EXTENSION_VERSION",
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "FUNCTIONS_MAX_HTTP_CONCURRENCY",
        "FUNCTIONS_WORKER_PROCESS_COUNT",
        "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTOVERVNET",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_DNS_SERVER",
        "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
        "WEBSITE_NODE_DEFAULT_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
        "WEBSITE_VNET_ROUTE_ALL",
    }
)
SECRET_MARKERS = ("AccountKey=", "SharedAccessKey=", "SharedAccessSignature=")


def check_posture(root: Scope) -> list[Finding]:
    found: list[Finding] = []
    declared: dict[str, int] = {}
    for scope in root.walk():
        found += _list_calls(scope.template)
        for resource in scope.template.resources:
            if resource.existing or resource.body is None:
                continue
            declared[resource.type] = declared.get(resource.type, 0) + 1
            for path, expected in RULES.get(resource.type, {}).items():
                found += _require(path, expected, resource.body, scope, resource.symbol)
    found += [
        Finding(
            file=root.template.path, message=f"no {kind} is declared, so its posture is unchecked"
        )
        for kind in sorted(REQUIRED_TYPES - declared.keys())
    ]
    found += _publishing_policies(root)
    found += _settings(root)
    return found


def _require(path: str, expected: object, body: Node, scope: Scope, symbol: str) -> list[Finding]:
    node = entry_at(body, path)
    if node is None:
        return [scope.template.finding(body, f"{symbol}: {path} is not set (must be {expected!r})")]
    value = literal(node, scope, defaults=False)
    if value is UNRESOLVED or value != expected:
        shown = "an expression" if value is UNRESOLVED else repr(value)
        return [scope.template.finding(node, f"{symbol}: {path} is {shown}, must be {expected!r}")]
    return []


def _list_calls(template: Template) -> list[Finding]:
    found: list[Finding] = []

    def visit(node: Node) -> None:
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "member_expression":
                function = function.child_by_field_name("property")
            name = text(function) if function is not None else ""
            if name.startswith("list") and name[4:5].isupper():
                found.append(
                    template.finding(node, f"{name}(): reads a key or secret into the deployment")
                )
        for child in node.named_children:
            visit(child)

    visit(template.root)
    return found


def _publishing_policies(root: Scope) -> list[Finding]:
    names = {
        string_value(name_node)
        for scope in root.walk()
        for resource in scope.template.resources
        if resource.type == "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
        and (name_node := entry_at(resource.body, "name")) is not None
    }
    return [
        Finding(
            file=root.template.path,
            message=f"basic publishing credentials ({policy}) are not switched off",
        )
        for policy in sorted(PUBLISHING_POLICIES - names)
    ]


def _settings(root: Scope) -> list[Finding]:
    found: list[Finding] = []
    for scope, site in function_apps(root):
        for setting in app_settings(scope, site):
            if setting.name in FLEX_REFUSED_SETTINGS:
                found.append(
                    scope.template.finding(
                        setting.value, f"app setting {setting.name}: refused on Flex Consumption"
                    )
                )
            value = literal(setting.value, scope, defaults=False)
            if isinstance(value, str) and any(marker in value for marker in SECRET_MARKERS):
                found.append(
                    scope.template.finding(
                        setting.value, f"app setting {setting.name}: holds a key or token"
                    )
                )
    return found

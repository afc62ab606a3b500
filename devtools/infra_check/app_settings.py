"""The app settings the templates give the function app, read from its `siteConfig.appSettings`."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from devtools.infra_check.bicep import Resource, entry, entry_at, string_value, text
from devtools.infra_check.deployment import Scope

SITE_TYPE = "Microsoft.Web/sites"


@dataclass(frozen=True, kw_only=True)
class AppSetting:
    name: str
    value: Node
    scope: Scope


def function_apps(root: Scope) -> list[tuple[Scope, Resource]]:
    """Every function app the deployment declares, with the scope it is deployed in."""
    return [
        (scope, resource)
        for scope in root.walk()
        for resource in scope.template.resources
        if resource.type.casefold() == SITE_TYPE.casefold() and not resource.existing
    ]


def app_settings(scope: Scope, site: Resource) -> list[AppSetting]:
    """The settings of `site`, by name; a name that is not a literal is skipped."""
    node = entry_at(site.body, "properties.siteConfig.appSettings")
    if node is not None and node.type == "identifier":
        node = scope.template.variables.get(text(node))
    if node is None or node.type != "array":
        return []
    settings = []
    for item in node.named_children:
        name_node = entry(item, "name")
        value = entry(item, "value")
        name = string_value(name_node) if name_node is not None else None
        if name is not None and value is not None:
            settings.append(AppSetting(name=name, value=value, scope=scope))
    return settings

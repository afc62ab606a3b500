"""The deployment as a tree of scopes: `main.bicep`, and each local module it calls with the
parameters given to it, so that a value can be followed from a module back to its literal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tree_sitter import Node

from devtools.infra_check.bicep import (
    Module,
    Template,
    Templates,
    entry,
    object_entries,
    property_key,
    string_value,
    text,
)


class _Unresolved:
    def __repr__(self) -> str:
        return "UNRESOLVED"


UNRESOLVED: Final = _Unresolved()
"""What `literal` returns for an expression only a deployment can evaluate."""

REGISTRY_PREFIXES = ("br:", "br/", "ts:", "ts/")


@dataclass(kw_only=True)
class Scope:
    """A template as deployed: by main, or by a module call that gives it `arguments`."""

    template: Template
    arguments: dict[str, Node] = field(default_factory=dict)
    caller: Scope | None = None
    children: list[Scope] = field(default_factory=list)

    def walk(self) -> Iterator[Scope]:
        yield self
        for child in self.children:
            yield from child.walk()


def module_path(template: Template, module: Module) -> Path | None:
    """The file a local module refers to; None for a registry module."""
    if module.path.startswith(REGISTRY_PREFIXES):
        return None
    return (template.path.parent / module.path).resolve()


def load_deployment(main: Path, templates: Templates) -> Scope:
    """The scope of `main` and, below it, of every local module that exists (recursively)."""
    root = Scope(template=templates.get(main))
    _expand(root, templates, seen=frozenset({main.resolve()}))
    return root


def _expand(scope: Scope, templates: Templates, *, seen: frozenset[Path]) -> None:
    for module in scope.template.modules:
        path = module_path(scope.template, module)
        if path is None or not path.is_file() or path in seen:
            continue
        params = entry(module.body, "params")
        arguments = {
            key: value
            for prop, value in (object_entries(params) if params is not None else [])
            if (key := property_key(prop)) is not None
        }
        child = Scope(template=templates.get(path), arguments=arguments, caller=scope)
        scope.children.append(child)
        _expand(child, templates, seen=seen | {path})


def literal(node: Node, scope: Scope, *, defaults: bool = True, depth: int = 0) -> object:
    """The value of `node` when it is literal, following variables and parameters (to the
    module call's argument, else the default); UNRESOLVED otherwise.

    The parameters of main.bicep are the deployment's inputs: with `defaults=False` they are not
    literal (a deployment may set them), where a module's are only what its caller gives it.
    """
    if depth > 32:
        return UNRESOLVED
    kind = node.type
    if kind == "string":
        value = string_value(node)
        return UNRESOLVED if value is None else value
    if kind == "number":
        return int(text(node)) if text(node).lstrip("-").isdigit() else float(text(node))
    if kind == "boolean":
        return text(node) == "true"
    if kind == "null":
        return None
    if kind == "parenthesized_expression" and node.named_children:
        return literal(node.named_children[0], scope, defaults=defaults, depth=depth + 1)
    if kind == "array":
        items = [
            literal(item, scope, defaults=defaults, depth=depth + 1) for item in node.named_children
        ]
        return UNRESOLVED if any(item is UNRESOLVED for item in items) else items
    if kind == "object":
        pairs = {
            property_key(prop): literal(value, scope, defaults=defaults, depth=depth + 1)
            for prop, value in object_entries(node)
        }
        unresolved = None in pairs or any(value is UNRESOLVED for value in pairs.values())
        return UNRESOLVED if unresolved else pairs
    if kind == "identifier":
        return _symbol(text(node), scope, defaults=defaults, depth=depth + 1)
    return UNRESOLVED


def _symbol(name: str, scope: Scope, *, defaults: bool, depth: int) -> object:
    template = scope.template
    if name in template.variables:
        return literal(template.variables[name], scope, defaults=defaults, depth=depth)
    if name in scope.arguments and scope.caller is not None:
        return literal(scope.arguments[name], scope.caller, defaults=defaults, depth=depth)
    param = template.params.get(name)
    if param is None or param.default is None or (scope.caller is None and not defaults):
        return UNRESOLVED
    return literal(param.default, scope, defaults=defaults, depth=depth)

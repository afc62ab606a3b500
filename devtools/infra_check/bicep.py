"""Bicep files parsed with the Bicep grammar (tree-sitter-bicep) into their declarations.

The parse tree is kept: the checks read object literals, strings and expressions from it. A file
that does not parse cleanly reports every error node as a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

from devtools.infra_check.findings import Finding

LANGUAGE = Language(tree_sitter_bicep.language())
ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


@dataclass(frozen=True, kw_only=True)
class Param:
    name: str
    default: Node | None
    line: int


@dataclass(frozen=True, kw_only=True)
class Resource:
    """A `resource` declaration; `body` is its object, inside any `if` or `for`."""

    symbol: str
    type: str
    api_version: str
    body: Node | None
    existing: bool
    loop: Node | None
    line: int


@dataclass(frozen=True, kw_only=True)
class Module:
    symbol: str
    path: str
    body: Node | None
    line: int


@dataclass(frozen=True, kw_only=True)
class Template:
    path: Path
    root: Node
    params: dict[str, Param] = field(default_factory=dict)
    variables: dict[str, Node] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    outputs: dict[str, Node] = field(default_factory=dict)
    syntax_errors: list[Finding] = field(default_factory=list)

    def finding(self, node: Node, message: str) -> Finding:
        return Finding(file=self.path, line=line_of(node), message=message)


def line_of(node: Node) -> int:
    return node.start_point.row + 1


def text(node: Node) -> str:
    return (node.text or b"").decode()


def string_value(node: Node) -> str | None:
    """The value of a string literal without interpolation; None for anything else."""
    if node.type != "string":
        return None
    raw = text(node)
    if raw.startswith("'''"):
        return raw[3:-3]
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "interpolation":
            return None
        parts.append(ESCAPES.get(text(child), text(child)))
    return "".join(parts)


def property_key(node: Node) -> str | None:
    """The literal key of an `object_property` (an identifier or a string), or None if computed."""
    key = node.named_children[0]
    return text(key) if key.type == "identifier" else string_value(key)


def object_entries(node: Node) -> list[tuple[Node, Node]]:
    """(object_property, value) of each entry of an object literal."""
    return [
        (child, child.named_children[-1])
        for child in node.named_children
        if child.type == "object_property" and len(child.named_children) >= 2
    ]


def entry(node: Node | None, key: str) -> Node | None:
    """The value of `key` in an object literal (None when absent or not an object)."""
    if node is None or node.type != "object":
        return None
    for prop, value in object_entries(node):
        if property_key(prop) == key:
            return value
    return None


def entry_at(node: Node | None, path: str) -> Node | None:
    """The value at a dotted path of nested object literals (`properties.siteConfig`)."""
    for key in path.split("."):
        node = entry(node, key)
    return node


def unwrap_body(node: Node) -> tuple[Node | None, Node | None]:
    """(object, loop) of a declaration's value: `{...}`, `if (c) {...}`, `[for ...: ...]`."""
    loop = None
    if node.type == "for_statement":
        loop = node
        node = node.child_by_field_name("body") or node.named_children[-1]
    if node.type == "if_statement":
        node = node.named_children[-1]
    return (node if node.type == "object" else None), loop


def _error_findings(path: Path, root: Node) -> list[Finding]:
    found: list[Finding] = []

    def visit(node: Node) -> None:
        if node.is_error or node.is_missing:
            what = "missing" if node.is_missing else "unexpected"
            snippet = text(node)[:40].replace("\n", " ")
            found.append(
                Finding(
                    file=path,
                    line=line_of(node),
                    message=f"syntax error: {what} {node.type if node.is_missing else snippet!r}",
                )
            )
            return
        for child in node.children:
            if child.has_error or child.is_missing:
                visit(child)

    if root.has_error:
        visit(root)
    return found


def _declare(template: Template, node: Node) -> None:
    named = node.named_children
    if node.type == "parameter_declaration":
        has_default = any(child.type == "=" for child in node.children)
        default = named[-1] if has_default else None
        template.params[text(named[0])] = Param(
            name=text(named[0]), default=default, line=line_of(node)
        )
    elif node.type == "variable_declaration":
        template.variables[text(named[0])] = named[-1]
    elif node.type == "output_declaration":
        template.outputs[text(named[0])] = named[-1]
    elif node.type == "resource_declaration":
        kind = string_value(named[1]) or ""
        body, loop = unwrap_body(named[-1])
        type_name, _, api_version = kind.partition("@")
        existing = any(child.type == "existing" for child in node.children)
        template.resources.append(
            Resource(
                symbol=text(named[0]),
                type=type_name,
                api_version=api_version,
                body=body,
                existing=existing,
                loop=loop,
                line=line_of(node),
            )
        )
    elif node.type == "module_declaration":
        body, _ = unwrap_body(named[-1])
        template.modules.append(
            Module(
                symbol=text(named[0]),
                path=string_value(named[1]) or "",
                body=body,
                line=line_of(node),
            )
        )


def parse_template(path: Path) -> Template:
    """The declarations of the Bicep file at `path`."""
    tree = Parser(LANGUAGE).parse(path.read_bytes())
    template = Template(
        path=path, root=tree.root_node, syntax_errors=_error_findings(path, tree.root_node)
    )
    for node in tree.root_node.named_children:
        _declare(template, node)
    return template


class Templates:
    """Bicep files parsed once each, for one run of the checks."""

    def __init__(self) -> None:
        self._parsed: dict[Path, Template] = {}

    def get(self, path: Path) -> Template:
        path = path.resolve()
        if path not in self._parsed:
            self._parsed[path] = parse_template(path)
        return self._parsed[path]

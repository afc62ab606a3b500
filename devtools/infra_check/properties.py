"""Every literal key of every resource body, checked against the SDK model of its type and
api-version: the key exists with its case, is not read-only, and a literal value has the
model's type (and one of its enum values).

Values are followed where they stay literal: nested objects and arrays, `for` bodies, both
branches of a `? :`, parentheses, and variables. Anything else (a call, a parameter, a member
access) is an expression whose type only the Bicep compiler knows; it is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from devtools.infra_check.bicep import (
    Resource,
    Template,
    object_entries,
    property_key,
    string_value,
    text,
)
from devtools.infra_check.findings import Finding
from devtools.infra_check.sdk_models import Field, ModelNotFound, Shape, resource_shape

# Keys of a resource declaration that Bicep consumes itself and never sends in the body.
DEPLOYMENT_KEYS = frozenset({"name", "parent", "scope", "dependsOn"})
STRING_TYPES = frozenset({"str", "iso-8601", "rfc-1123", "duration", "date", "base64", "time"})
NUMBER_TYPES = frozenset({"int", "long", "float", "decimal"})
LITERAL_KINDS = {"string": "a string", "number": "a number", "boolean": "a boolean"}
EXPECTED_KINDS = {
    **dict.fromkeys(STRING_TYPES, "a string"),
    **dict.fromkeys(NUMBER_TYPES, "a number"),
    "bool": "a boolean",
}


@dataclass(kw_only=True)
class PropertyReport:
    findings: list[Finding] = field(default_factory=list)
    keys_checked: int = 0


@dataclass(frozen=True, kw_only=True)
class _Where:
    """The resource being checked, for messages, and the variables seen on the way."""

    template: Template
    resource: str
    seen: frozenset[str] = frozenset()


def check_resources(template: Template) -> PropertyReport:
    """Every resource declared in `template`, checked against its SDK model."""
    report = PropertyReport()
    for resource in template.resources:
        _check_resource(template, resource, report)
    return report


def _check_resource(template: Template, resource: Resource, report: PropertyReport) -> None:
    if resource.body is None or resource.existing:
        return  # an `existing` resource has only a name and a scope: nothing is sent
    try:
        shape = resource_shape(resource.type, resource.api_version)
    except ModelNotFound as error:
        report.findings.append(
            template.finding(resource.body, f"resource {resource.symbol}: {error}")
        )
        return
    where = _Where(template=template, resource=f"{resource.type}@{resource.api_version}")
    for prop, value in object_entries(resource.body):
        key = property_key(prop)
        if key in DEPLOYMENT_KEYS:
            continue
        _check_entry(prop, key, value, shape, path="", where=where, report=report)


def _check_entry(
    prop: Node,
    key: str | None,
    value: Node,
    shape: Shape,
    *,
    path: str,
    where: _Where,
    report: PropertyReport,
) -> None:
    if key is None:
        report.findings.append(
            where.template.finding(prop, f"{path}<computed key>: not checkable in {shape.model}")
        )
        return
    report.keys_checked += 1
    here = f"{path}{key}"
    if key in shape.groups:
        _check_object(value, shape.groups[key], path=f"{here}.", where=where, report=report)
        return
    member = shape.fields.get(key)
    if member is None:
        report.findings.append(where.template.finding(prop, _unknown(here, key, shape, where)))
        return
    if member.readonly:
        report.findings.append(
            where.template.finding(prop, f"{here}: read-only in {shape.model} ({where.resource})")
        )
        return
    _check_value(value, member, path=here, where=where, report=report)


def _unknown(here: str, key: str, shape: Shape, where: _Where) -> str:
    message = f"{here}: not a property of {shape.model} in {where.resource}"
    same_but_case = [name for name in shape.names() if name.casefold() == key.casefold()]
    if same_but_case:
        message += f" (the model spells it {same_but_case[0]!r})"
    return message


def _check_object(
    value: Node, shape: Shape, *, path: str, where: _Where, report: PropertyReport
) -> None:
    for node in _literal_values(value, where):
        if node.type in LITERAL_KINDS or node.type in ("array", "for_statement"):
            report.findings.append(
                _mismatch(node, path.rstrip("."), f"an object ({shape.model})", where)
            )
            continue
        if node.type != "object":
            continue  # an expression
        for prop, entry_value in object_entries(node):
            _check_entry(
                prop, property_key(prop), entry_value, shape, path=path, where=where, report=report
            )


def _check_value(
    value: Node, member: Field, *, path: str, where: _Where, report: PropertyReport
) -> None:
    kind = member.type_name
    for node in _literal_values(value, where):
        if node.type == "null":
            continue
        if kind.startswith("[") or kind.startswith("{"):
            _check_collection(node, member, path=path, where=where, report=report)
        elif kind == "object":
            continue  # any JSON
        elif (shape := member.shape()) is not None:
            _check_object(node, shape, path=f"{path}.", where=where, report=report)
        else:
            _check_scalar(node, member, path=path, where=where, report=report)


def _check_collection(
    node: Node, member: Field, *, path: str, where: _Where, report: PropertyReport
) -> None:
    element = member.element()
    if member.type_name.startswith("["):
        if node.type == "object" or node.type in LITERAL_KINDS:
            report.findings.append(_mismatch(node, path, "an array", where))
        elif node.type == "array":
            for item in node.named_children:
                _check_value(item, element, path=f"{path}[]", where=where, report=report)
        elif node.type == "for_statement" and (body := node.child_by_field_name("body")):
            _check_value(body, element, path=f"{path}[]", where=where, report=report)
        return
    if node.type in ("array", "for_statement") or node.type in LITERAL_KINDS:
        report.findings.append(_mismatch(node, path, "an object (a dictionary)", where))
    elif node.type == "object":
        for prop, item in object_entries(node):
            name = property_key(prop) or "<key>"
            _check_value(item, element, path=f"{path}.{name}", where=where, report=report)


def _check_scalar(
    node: Node, member: Field, *, path: str, where: _Where, report: PropertyReport
) -> None:
    kind = member.type_name
    expected = EXPECTED_KINDS.get(kind)
    if node.type in ("object", "array", "for_statement") or (
        node.type in LITERAL_KINDS and expected is not None and LITERAL_KINDS[node.type] != expected
    ):
        report.findings.append(_mismatch(node, path, expected or kind, where))
        return
    literal = string_value(node)
    if member.enum is not None and literal is not None:
        allowed = [str(item.value) for item in member.enum]
        if literal not in allowed:
            report.findings.append(
                where.template.finding(
                    node,
                    f"{path}: {literal!r} is not one of {member.enum.__name__} "
                    f"({', '.join(allowed)}) in {where.resource}",
                )
            )


def _mismatch(node: Node, path: str, expected: str, where: _Where) -> Finding:
    found = LITERAL_KINDS.get(node.type, "an object" if node.type == "object" else "an array")
    return where.template.finding(
        node, f"{path}: {found} where the model takes {expected} ({where.resource})"
    )


def _literal_values(node: Node, where: _Where) -> list[Node]:
    """The literal nodes an expression may stand for, as far as they can be followed."""
    if node.type == "parenthesized_expression" and node.named_children:
        return _literal_values(node.named_children[0], where)
    if node.type == "ternary_expression":
        branches = [
            node.child_by_field_name("consequence"),
            node.child_by_field_name("alternative"),
        ]
        return [leaf for branch in branches if branch for leaf in _literal_values(branch, where)]
    if node.type == "if_statement":
        return _literal_values(node.named_children[-1], where)
    if node.type == "identifier":
        name = text(node)
        variable = where.template.variables.get(name)
        if variable is None or name in where.seen:
            return []
        inner = _Where(template=where.template, resource=where.resource, seen=where.seen | {name})
        return _literal_values(variable, inner)
    return [node]

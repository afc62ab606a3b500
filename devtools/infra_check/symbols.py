"""Every name an expression refers to is declared: a parameter, variable, resource or module of
the file, a loop variable or lambda parameter in scope, or one of Bicep's namespaces."""

from __future__ import annotations

from tree_sitter import Node

from devtools.infra_check.bicep import Template, text
from devtools.infra_check.findings import Finding

NAMESPACES = frozenset({"az", "sys"})
DECLARATIONS = frozenset(
    {
        "parameter_declaration",
        "variable_declaration",
        "resource_declaration",
        "module_declaration",
        "output_declaration",
        "type_declaration",
        "user_defined_function",
        "import_statement",
    }
)


def declared_names(template: Template) -> frozenset[str]:
    return frozenset(
        {*template.params, *template.variables}
        | {resource.symbol for resource in template.resources}
        | {module.symbol for module in template.modules}
    )


def _bound_by(node: Node) -> set[str]:
    """Names a loop or lambda binds for its body."""
    names: set[str] = set()
    if node.type == "for_statement":
        initializer = node.child_by_field_name("initializer")
        if initializer is not None:
            names.add(text(initializer))
        for child in node.named_children:
            if child.type == "for_loop_parameters":
                names.update(text(part) for part in child.named_children)
    elif node.type == "lambda_expression" and node.named_children:
        parameters = node.named_children[0]
        inner = parameters.named_children if parameters.type != "identifier" else [parameters]
        names.update(text(part) for part in inner if part.type == "identifier")
    return names


def _binds(node: Node) -> bool:
    """Whether `node` is a name a loop or lambda binds (not a use of one)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "for_loop_parameters":
        return True
    if parent.type == "lambda_expression":
        return parent.named_children[0] == node  # `x => ...`, not the body of `x => y`
    if parent.type == "for_statement":
        return parent.child_by_field_name("initializer") == node
    lambda_ = parent.parent
    return (
        parent.type == "parenthesized_expression"
        and lambda_ is not None
        and lambda_.type == "lambda_expression"
        and lambda_.named_children[0] == parent
    )


def _is_reference(node: Node) -> bool:
    parent = node.parent
    if parent is None or parent.type == "type" or _binds(node):
        return False
    if parent.type in DECLARATIONS and parent.named_children[0] == node:
        return False  # the name being declared
    if parent.type == "object_property" and parent.named_children[0] == node:
        return False  # an object key
    return not (parent.type == "call_expression" and parent.child_by_field_name("function") == node)


def check_symbols(template: Template) -> list[Finding]:
    """A finding for every reference to a name that nothing declares."""
    found: list[Finding] = []

    def visit(node: Node, scope: frozenset[str]) -> None:
        if node.type == "identifier" and _is_reference(node):
            name = text(node)
            if name not in scope and name not in NAMESPACES:
                found.append(template.finding(node, f"{name}: not declared"))
        inner = scope | _bound_by(node)
        for child in node.named_children:
            visit(child, inner)

    visit(template.root, declared_names(template))
    return found

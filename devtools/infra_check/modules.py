"""Modules are called as they are declared: every parameter given exists, every required one is
given, every `module.outputs.x` used exists; and `main.parameters.json` fits `main.bicep`."""

from __future__ import annotations

import json
from pathlib import Path

from tree_sitter import Node

from devtools.infra_check.bicep import Module, Template, Templates, entry, object_entries, text
from devtools.infra_check.bicep import property_key as key_of
from devtools.infra_check.deployment import module_path
from devtools.infra_check.findings import Finding


def check_modules(template: Template, templates: Templates) -> list[Finding]:
    found: list[Finding] = []
    called: dict[str, Template] = {}
    for module in template.modules:
        target = _called_template(template, module, templates, found)
        if target is not None:
            called[module.symbol] = target
            found += _check_arguments(template, module, target)
    found += _check_output_uses(template, called)
    return found


def _called_template(
    template: Template, module: Module, templates: Templates, found: list[Finding]
) -> Template | None:
    path = module_path(template, module)
    where = module.body if module.body is not None else template.root
    if path is None:
        found.append(
            template.finding(
                where,
                f"module {module.symbol}: {module.path} is a registry module, which "
                "nothing offline can see into; declare its resources here",
            )
        )
        return None
    if not path.is_file():
        found.append(
            template.finding(where, f"module {module.symbol}: {module.path} does not exist")
        )
        return None
    return templates.get(path)


def _check_arguments(template: Template, module: Module, target: Template) -> list[Finding]:
    found: list[Finding] = []
    params = entry(module.body, "params")
    given: set[str] = set()
    for prop, _ in object_entries(params) if params is not None else []:
        name = key_of(prop)
        if name is None:
            continue
        given.add(name)
        if name not in target.params:
            found.append(
                template.finding(
                    prop, f"module {module.symbol}: {module.path} has no parameter {name!r}"
                )
            )
    for name, param in target.params.items():
        if param.default is None and name not in given:
            found.append(
                template.finding(
                    params if params is not None else template.root,
                    f"module {module.symbol}: required parameter {name!r} of {module.path} "
                    "is not given",
                )
            )
    return found


def _output_use(node: Node) -> tuple[str, str, Node] | None:
    """(module symbol, output name, node) of `symbol.outputs.name` (or `symbol[i].outputs.name`)."""
    if node.type != "member_expression":
        return None
    inner = node.child_by_field_name("object")
    name = node.child_by_field_name("property")
    if inner is None or name is None or inner.type != "member_expression":
        return None
    outputs = inner.child_by_field_name("property")
    owner = inner.child_by_field_name("object")
    if outputs is None or owner is None or text(outputs) != "outputs":
        return None
    if owner.type == "subscript_expression":
        owner = owner.child_by_field_name("object") or owner
    return (text(owner), text(name), name) if owner.type == "identifier" else None


def _check_output_uses(template: Template, called: dict[str, Template]) -> list[Finding]:
    found: list[Finding] = []

    def visit(node: Node) -> None:
        use = _output_use(node)
        if use is not None and use[0] in called and use[1] not in called[use[0]].outputs:
            found.append(
                template.finding(
                    use[2], f"{use[0]}.outputs.{use[1]}: the module has no output {use[1]!r}"
                )
            )
        for child in node.named_children:
            visit(child)

    visit(template.root)
    return found


def check_parameters_file(path: Path, main: Template) -> list[Finding]:
    """`main.parameters.json` names only parameters of main.bicep, and every required one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [Finding(file=path, message=f"not readable as JSON: {error}")]
    given = document.get("parameters", {})
    found = [
        Finding(file=path, message=f"parameter {name!r} is not declared in {main.path.name}")
        for name in given
        if name not in main.params
    ]
    found += [
        Finding(file=path, message=f"required parameter {name!r} of {main.path.name} is not given")
        for name, param in main.params.items()
        if param.default is None and name not in given
    ]
    return found

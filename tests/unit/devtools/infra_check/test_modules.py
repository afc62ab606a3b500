from __future__ import annotations

import json
from pathlib import Path

from devtools.infra_check.bicep import Templates
from devtools.infra_check.modules import check_modules, check_parameters_file

CALL = "module c 'child.bicep' = { name: 'c', params: { name: 'x' } }\n"
CHILD = """
param name string
param size int = 1
output id string = name
"""


def module_findings(tmp_path: Path, call: str) -> list[str]:
    (tmp_path / "child.bicep").write_text(CHILD, encoding="utf-8")
    (tmp_path / "main.bicep").write_text(call, encoding="utf-8")
    templates = Templates()
    return [f.message for f in check_modules(templates.get(tmp_path / "main.bicep"), templates)]


def test_a_module_called_as_declared_passes(tmp_path: Path) -> None:
    assert module_findings(tmp_path, CALL + "output o string = c.outputs.id\n") == []


def test_a_parameter_the_module_does_not_declare_is_reported(tmp_path: Path) -> None:
    call = "module c 'child.bicep' = { name: 'c', params: { name: 'x', colour: 'red' } }\n"

    assert module_findings(tmp_path, call) == ["module c: child.bicep has no parameter 'colour'"]


def test_a_required_parameter_not_given_is_reported(tmp_path: Path) -> None:
    call = "module c 'child.bicep' = { name: 'c', params: { size: 2 } }\n"

    assert module_findings(tmp_path, call) == [
        "module c: required parameter 'name' of child.bicep is not given"
    ]


def test_an_output_the_module_does_not_declare_is_reported(tmp_path: Path) -> None:
    found = module_findings(tmp_path, CALL + "output o string = c.outputs.url\n")

    assert found == ["c.outputs.url: the module has no output 'url'"]


def test_registry_and_missing_modules_are_reported(tmp_path: Path) -> None:
    call = (
        "module r 'br/public:avm/res/web/site:0.15.1' = { name: 'r' }\n"
        "module m 'absent.bicep' = { name: 'm' }\n"
    )

    found = module_findings(tmp_path, call)
    assert [message.split(":")[0] for message in found] == ["module r", "module m"]
    assert "registry module" in found[0] and "does not exist" in found[1]


def test_the_parameters_file_must_fit_main(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param name string\nparam size int = 1\n", encoding="utf-8"
    )
    parameters = tmp_path / "main.parameters.json"
    parameters.write_text(
        json.dumps({"parameters": {"colour": {"value": "red"}}}), encoding="utf-8"
    )

    found = check_parameters_file(parameters, Templates().get(tmp_path / "main.bicep"))

    assert [finding.message for finding in found] == [
        "parameter 'colour' is not declared in main.bicep",
        "required parameter 'name' of main.bicep is not given",
    ]

from __future__ import annotations

from devtools.infra_check.bicep import entry_at, string_value
from tests.unit.devtools.infra_check.conftest import WriteBicep

TEMPLATE = """
param location string
param tier string = 'Hot'
var names = ['a', 'b']
resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: 'st'
  location: location
  properties: { accessTier: tier }
}
resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for name in names: { name: name }
]
resource other 'Microsoft.Storage/storageAccounts@2025-06-01' existing = if (true) {
  name: 'other'
}
module app 'core/app.bicep' = {
  name: 'app'
  params: { location: location }
}
output id string = account.id
"""


def test_a_template_is_read_into_its_declarations(write_bicep: WriteBicep) -> None:
    template = write_bicep(TEMPLATE)

    assert template.syntax_errors == []
    assert {name: param.default is not None for name, param in template.params.items()} == {
        "location": False,
        "tier": True,
    }
    assert list(template.variables) == ["names"]
    assert [(r.symbol, r.type, r.api_version, r.existing) for r in template.resources] == [
        ("account", "Microsoft.Storage/storageAccounts", "2025-06-01", False),
        ("queues", "Microsoft.Storage/storageAccounts/queueServices/queues", "2025-06-01", False),
        ("other", "Microsoft.Storage/storageAccounts", "2025-06-01", True),
    ]
    assert [(m.symbol, m.path) for m in template.modules] == [("app", "core/app.bicep")]
    assert list(template.outputs) == ["id"]


def test_a_resource_body_is_found_inside_a_loop_or_a_condition(write_bicep: WriteBicep) -> None:
    template = write_bicep(TEMPLATE)
    queues, other = template.resources[1], template.resources[2]

    assert queues.loop is not None and queues.body is not None and queues.body.type == "object"
    assert other.loop is None and other.body is not None
    assert string_value(entry_at(other.body, "name")) == "other"  # type: ignore[arg-type]


def test_a_syntax_error_is_reported_at_its_line(write_bicep: WriteBicep) -> None:
    template = write_bicep("param location string\nvar broken = {\n  a: \n}\n")

    assert template.syntax_errors
    assert {finding.line for finding in template.syntax_errors} <= {3, 4}
    assert all("syntax error" in finding.message for finding in template.syntax_errors)


def test_a_string_with_interpolation_has_no_literal_value(write_bicep: WriteBicep) -> None:
    template = write_bicep("param p string\nvar a = 'it\\'s'\nvar b = 'x${p}'\n")

    assert string_value(template.variables["a"]) == "it's"
    assert string_value(template.variables["b"]) is None

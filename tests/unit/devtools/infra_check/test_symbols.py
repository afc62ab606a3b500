from __future__ import annotations

from devtools.infra_check.symbols import check_symbols
from tests.unit.devtools.infra_check.conftest import WriteBicep


def undeclared(write_bicep: WriteBicep, source: str) -> list[str]:
    return [finding.message for finding in check_symbols(write_bicep(source))]


def test_a_name_nothing_declares_is_reported_where_it_is_used(write_bicep: WriteBicep) -> None:
    template = write_bicep("param location string\nvar where = locaton\n")

    (finding,) = check_symbols(template)
    assert (finding.line, finding.message) == (2, "locaton: not declared")


def test_declarations_namespaces_keys_and_functions_are_not_undeclared_names(
    write_bicep: WriteBicep,
) -> None:
    source = """
@description('where')
param location string
var tags = { env: location, 'x-y': az.resourceGroup().location }
resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = { name: 'st', tags: tags }
module app 'app.bicep' = { name: 'app', params: { id: account.id } }
output url string = '${app.outputs.url}/${sys.string(1)}'
"""
    assert undeclared(write_bicep, source) == []


def test_loop_variables_and_lambda_parameters_are_declared_only_inside(
    write_bicep: WriteBicep,
) -> None:
    source = """
var a = [for (item, i) in range(0, 2): item + i]
var b = map([1], x => x + 1)
var c = reduce([1], 0, (sum, n) => sum + n)
var d = item
var e = map([1], x => y)
"""
    assert undeclared(write_bicep, source) == ["item: not declared", "y: not declared"]

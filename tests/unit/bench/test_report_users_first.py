"""The report's sections of the users-first scenarios: interactive during import, three instances
on one budget, cold start with telemetry."""

from __future__ import annotations

from bench.cold_start_telemetry import ColdStartTelemetry
from bench.interactive import InteractiveDuringImport, Phase
from bench.report import users_first
from bench.three_instances import InstancesOnOneBudget
from tests.unit.bench.test_cold_start_telemetry import starts
from tests.unit.bench.test_interactive import during, users
from tests.unit.bench.test_three_instances import drain


def test_each_users_first_scenario_has_a_section_with_its_table() -> None:
    interactive = InteractiveDuringImport(
        Phase(users(0.01), 0), [during(1, users(0.02), charge=38_000.0)]
    )
    instances = InstancesOnOneBudget(drain(1), drain(3))
    cold = ColdStartTelemetry(starts("without", 1.0), starts("with", 1.1))
    report = users_first(interactive, instances, cold)
    assert "## Interactive during import" in report
    assert "| during the import, low-priority bulk writes |" in report
    assert "## Three instances on one budget: 30,000 records at 4,000 RU/s" in report
    assert "## Cold start with telemetry" in report and "| with | 1.10 | 1.10x |" in report

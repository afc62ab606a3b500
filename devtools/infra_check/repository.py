"""Every check, run over a project folder: its `infra/` templates and its package."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from devtools.infra_check.bicep import Templates
from devtools.infra_check.deployment import load_deployment
from devtools.infra_check.findings import Finding
from devtools.infra_check.modules import check_modules, check_parameters_file
from devtools.infra_check.package import Package, build_package, check_package
from devtools.infra_check.parity import check_parity
from devtools.infra_check.posture import check_posture
from devtools.infra_check.properties import check_resources
from devtools.infra_check.symbols import check_symbols

MAIN = "main.bicep"
PARAMETERS = "main.parameters.json"


@dataclass(kw_only=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    bicep_files: int = 0
    resources: int = 0
    keys_checked: int = 0
    package: Package | None = None


def check_templates(infra: Path) -> Report:
    """Parse, property, symbol and module checks of every Bicep file under `infra`, then the
    parameters file, posture and settings parity of the deployment `main.bicep` describes."""
    report = Report()
    templates = Templates()
    files = sorted(infra.rglob("*.bicep"))
    if not (infra / MAIN).is_file():
        report.findings.append(Finding(file=infra / MAIN, message="missing"))
        return report
    for path in files:
        template = templates.get(path)
        checked = check_resources(template)
        report.findings += template.syntax_errors + checked.findings
        report.findings += check_symbols(template) + check_modules(template, templates)
        report.bicep_files += 1
        report.resources += len(template.resources)
        report.keys_checked += checked.keys_checked
    deployment = load_deployment(infra / MAIN, templates)
    report.findings += check_parameters_file(infra / PARAMETERS, deployment.template)
    report.findings += check_posture(deployment) + check_parity(deployment)
    return report


def check_repository(root: Path) -> Report:
    """The templates under `root/infra` and the package built from `root`."""
    report = check_templates(root / "infra")
    report.package = build_package(root)
    report.findings += check_package(root, report.package)
    return report

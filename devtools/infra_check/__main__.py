"""`python -m devtools.infra_check [--root DIR] [--list-package]`: run every check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devtools.infra_check.repository import check_repository

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra_check", description=__doc__)
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the project folder")
    parser.add_argument("--list-package", action="store_true", help="print the package's files")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    report = check_repository(root)
    for finding in report.findings:
        print(finding.render(root))
    package = report.package
    if args.list_package and package is not None:
        print("\n".join(package.files))
    print(
        f"infra_check: {report.bicep_files} Bicep files, {report.resources} resources, "
        f"{report.keys_checked} property keys checked against the SDK models; package "
        f"{len(package.files) if package else 0} files, "
        f"{len(package.zip_bytes) if package else 0:,} bytes zipped; "
        f"{len(report.findings)} findings"
    )
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())

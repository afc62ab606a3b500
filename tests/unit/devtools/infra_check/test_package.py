from __future__ import annotations

import io
import zipfile
from pathlib import Path

from devtools.infra_check.package import build_package, check_package, packaged_files
from tests.unit.devtools.infra_check.conftest import PROJECT_ROOT


def make_project(root: Path, funcignore: str) -> Path:
    for name in [
        "function_app.py",
        "host.json",
        "requirements.txt",
        "shared/__init__.py",
        "shared/__pycache__/x.cpython-313.pyc",
        "tests/test_x.py",
        "node_modules/pkg/index.js",
        ".venv/bin/python",
        "devtools/tool.py",
        "bench/run.py",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    (root / ".funcignore").write_text(funcignore, encoding="utf-8")
    return root


def test_the_funcignore_patterns_decide_what_is_packaged(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, ".funcignore\n__pycache__/\ntests/\nnode_modules/\n.venv/\ndevtools/\nbench/\n"
    )

    assert packaged_files(root) == [
        "function_app.py",
        "host.json",
        "requirements.txt",
        "shared/__init__.py",
    ]


def test_a_package_with_development_tooling_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path, ".funcignore\n__pycache__/\nnode_modules/\n.venv/\n")

    found = {f.message for f in check_package(root, build_package(root))}

    assert found == {
        "the package holds devtools/",
        "the package holds bench/",
        "the package holds tests/",
    }


def test_a_package_without_the_app_is_reported(tmp_path: Path) -> None:
    root = make_project(tmp_path, "*.py\n__pycache__/\n")

    found = {f.message for f in check_package(root, build_package(root))}

    assert "the package lacks function_app.py" in found
    assert "the package lacks shared/" in found


def test_the_projects_package_holds_the_app_and_nothing_else() -> None:
    package = build_package(PROJECT_ROOT)

    assert check_package(PROJECT_ROOT, package) == []
    assert {
        "function_app.py",
        "host.json",
        "requirements.txt",
        "shared/platform/settings.py",
    } <= set(package.files)
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
        assert archive.namelist() == package.files
        assert archive.read("host.json") == (PROJECT_ROOT / "host.json").read_bytes()

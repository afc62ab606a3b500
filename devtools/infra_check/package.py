"""The deployment package, built the way Core Tools and azd build it: every file of the project
folder that `.funcignore` (gitignore patterns) does not exclude, zipped. It must hold the app and
nothing of the development tooling."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pathspec

from devtools.infra_check.findings import Finding

FUNCIGNORE = ".funcignore"
REQUIRED = ("function_app.py", "host.json", "requirements.txt", "shared/")
ALLOWED_TOP_LEVEL = frozenset({"function_app.py", "host.json", "requirements.txt", "shared"})
FORBIDDEN = ("devtools/", "bench/", "tests/", "node_modules/", ".venv/")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same files always make the same bytes


@dataclass(frozen=True, kw_only=True)
class Package:
    files: list[str]
    zip_bytes: bytes


def _ignore_spec(root: Path) -> pathspec.GitIgnoreSpec:
    path = root / FUNCIGNORE
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return pathspec.GitIgnoreSpec.from_lines(lines)


def packaged_files(root: Path) -> list[str]:
    """The files (relative, `/`-separated) that the package holds, sorted."""
    spec = _ignore_spec(root)
    files: list[str] = []
    for folder, dirnames, filenames in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        # A folder that is excluded is not entered: nothing under it can be included again.
        dirnames[:] = sorted(name for name in dirnames if not spec.match_file(f"{prefix}{name}/"))
        files += [f"{prefix}{name}" for name in filenames if not spec.match_file(f"{prefix}{name}")]
    return sorted(files)


def build_package(root: Path) -> Package:
    """The zip of the project folder at `root`, as it would be uploaded."""
    files = packaged_files(root)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / name).read_bytes())
    return Package(files=files, zip_bytes=buffer.getvalue())


def check_package(root: Path, package: Package) -> list[Finding]:
    """The app is in the package, and nothing of the development tooling is."""
    where = root / FUNCIGNORE
    found = [
        Finding(file=where, message=f"the package lacks {name}")
        for name in REQUIRED
        if not any(file == name or file.startswith(name) for file in package.files)
    ]
    found += [
        Finding(file=where, message=f"the package holds {name}")
        for name in FORBIDDEN
        if any(file.startswith(name) for file in package.files)
    ]
    strays = sorted({file.split("/")[0] for file in package.files} - ALLOWED_TOP_LEVEL)
    found += [
        Finding(file=where, message=f"the package holds {name}, which the app does not need")
        for name in strays
        if f"{name}/" not in FORBIDDEN
    ]
    found += [
        Finding(file=where, message=f"the package holds compiled or cached files: {file}")
        for file in package.files
        if "__pycache__/" in file or file.endswith(".pyc")
    ]
    return found

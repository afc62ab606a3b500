"""Copies of the project's templates to plant mistakes in, and small templates of one's own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from devtools.infra_check.bicep import Template, parse_template

PROJECT_ROOT = Path(__file__).resolve().parents[4]
INFRA = PROJECT_ROOT / "infra"

type Plant = Callable[[str, str, str], Path]
type WriteBicep = Callable[[str], Template]


@pytest.fixture
def plant(tmp_path: Path) -> Plant:
    """Copy infra/ and replace the one occurrence of `old` in `file` by `new`; the copy's path."""
    infra = tmp_path / "infra"
    shutil.copytree(INFRA, infra)

    def replace(file: str, old: str, new: str) -> Path:
        path = infra / file
        source = path.read_text(encoding="utf-8")
        assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times in {file}"
        path.write_text(source.replace(old, new), encoding="utf-8")
        return infra

    return replace


@pytest.fixture
def write_bicep(tmp_path: Path) -> WriteBicep:
    """Write `source` as a Bicep file of its own and parse it."""
    counter = iter(range(1_000))

    def write(source: str) -> Template:
        path = tmp_path / f"template{next(counter)}.bicep"
        path.write_text(source, encoding="utf-8")
        return parse_template(path)

    return write

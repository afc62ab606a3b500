"""What a check reports: one problem, where it is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A problem found in `file` (at `line`, when it has one)."""

    file: Path
    line: int | None = None
    message: str

    def render(self, root: Path) -> str:
        """`infra/main.bicep:12: message`, the file relative to `root` when it lies under it."""
        name = self.file.relative_to(root) if self.file.is_relative_to(root) else self.file
        where = f"{name}:{self.line}" if self.line is not None else f"{name}"
        return f"{where}: {self.message}"

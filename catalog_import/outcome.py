"""What the command did: the imports it started, their last progress, the first rejects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog_import.api import StartedImport
from catalog_import.display import Counts


@dataclass
class Outcome:
    imports: list[StartedImport]
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> Counts:
        done = self.progress.values()
        return Counts(
            written=sum(p["written"] for p in done),
            rejected=sum(p["rejected"] for p in done),
            total=sum(started.records for started in self.imports),
        )

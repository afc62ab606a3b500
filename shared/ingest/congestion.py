"""How many batches one physical partition may have in flight: additive increase while requests
succeed, multiplicative decrease when Cosmos DB throttles (the AIMD rule TCP uses, and the .NET
SDK's bulk mode applies per partition key range)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class ConcurrencyLimit:
    """A congestion window measured in batches. `fixed` pins it (no adaptation)."""

    initial: int = 1
    maximum: int = 16
    fixed: bool = False
    window: float = field(init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.initial <= self.maximum:
            raise ValueError("need 1 <= initial <= maximum")
        self.window = float(self.initial)

    @property
    def slots(self) -> int:
        """Batches that may be in flight now."""
        return max(1, math.floor(self.window))

    def on_success(self) -> None:
        """About one more slot per window of successful batches."""
        if not self.fixed:
            self.window = min(float(self.maximum), self.window + 1 / self.window)

    def on_throttled(self) -> None:
        """Half the window, never below one batch."""
        if not self.fixed:
            self.window = max(1.0, self.window / 2)

"""How many batches one physical partition may have in flight: additive increase while requests
succeed, multiplicative decrease when Cosmos DB throttles (the AIMD rule TCP uses, and the .NET
SDK's bulk mode applies per partition key range). Until the first throttle the window grows by
one batch per success, doubling each round (TCP's slow start), so that an unthrottled container
reaches full speed after a few batches rather than a few hundred."""

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
    slow_start: bool = field(init=False, default=True)

    def __post_init__(self) -> None:
        if not 1 <= self.initial <= self.maximum:
            raise ValueError("need 1 <= initial <= maximum")
        self.window = float(self.initial)

    @property
    def slots(self) -> int:
        """Batches that may be in flight now."""
        return max(1, math.floor(self.window))

    def on_success(self) -> None:
        """One more slot per success in slow start; about one per window of successes after."""
        if not self.fixed:
            growth = 1.0 if self.slow_start else 1 / self.window
            self.window = min(float(self.maximum), self.window + growth)

    def on_throttled(self) -> None:
        """Half the window, never below one batch; slow start ends."""
        if not self.fixed:
            self.slow_start = False
            self.window = max(1.0, self.window / 2)

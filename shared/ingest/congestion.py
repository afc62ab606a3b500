"""How many batches one physical partition may have in flight: additive increase while requests
succeed, multiplicative decrease when Cosmos DB throttles (the AIMD rule TCP uses, and the .NET
SDK's bulk mode applies per partition key range). Until the first throttle the window grows by
one batch per success, doubling each round (TCP's slow start), so that an unthrottled container
reaches full speed after a few batches rather than a few hundred.

The window is halved once per congestion event, not once per 429: a batch remembers the window's
`epoch` when it was sent, and a throttle of a batch sent before the last reduction is part of the
event that reduction already answered (TCP reduces once per window of data; the JS and .NET bulk
executors once per interval). Sixteen batches throttled together halve the window once."""

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
    epoch: int = field(init=False, default=0)  # reductions so far

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

    def on_throttled(self, sent_in_epoch: int | None = None) -> bool:
        """Half the window (never below one batch) unless the throttled batch was sent before
        the last reduction; slow start ends. Whether the window was reduced."""
        if self.fixed or (sent_in_epoch is not None and sent_in_epoch < self.epoch):
            return False
        self.slow_start = False
        self.window = max(1.0, self.window / 2)
        self.epoch += 1
        return True

"""Request-unit accounting per invocation, and per unit of work inside one.

The Cosmos client reports every HTTP response it receives (a success, a refusal, a throttled
attempt, the metadata reads it makes on its own) through `add_charge`, so every request unit is
counted once, whatever happens to the call. A meter started inside another (a batch write inside
an invocation) adds to both. A context variable keeps concurrent invocations apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar


class RequestCharge:
    """The request units spent so far by one invocation or unit of work."""

    def __init__(self, parent: RequestCharge | None = None) -> None:
        self.total = 0.0
        self.touched_cosmos = False
        self.parent = parent

    def add(self, charge: float) -> None:
        self.total += charge
        self.touched_cosmos = True
        if self.parent is not None:
            self.parent.add(charge)


_current: ContextVar[RequestCharge | None] = ContextVar("request_charge", default=None)


@contextlib.contextmanager
def metered() -> Iterator[RequestCharge]:
    """A meter for the block; what it counts also counts in the enclosing meter, if any."""
    meter = RequestCharge(parent=_current.get())
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)


def add_charge(charge: float) -> None:
    """Count `charge` in the current meter (and the meters enclosing it)."""
    meter = _current.get()
    if meter is not None:
        meter.add(charge)

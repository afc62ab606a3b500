"""Request-unit accounting per invocation, and per unit of work inside one.

The Cosmos client reports every HTTP response it receives (a success, a refusal, a throttled
attempt, the metadata reads it makes on its own) through `add_charge`, so every request unit is
counted once, whatever happens to the call. A meter started inside another (a batch write inside
an invocation) adds to both. A context variable keeps concurrent invocations apart.
"""

from __future__ import annotations

from contextvars import ContextVar, Token


class RequestCharge:
    """The request units spent so far by one invocation or unit of work."""

    def __init__(self, parent: RequestCharge | None = None) -> None:
        self.total = 0.0
        self.touched_cosmos = False
        self.parent = parent
        # The retry-after (seconds) of the last response, when that was a 429; else None.
        self.throttled_for: float | None = None

    def add(self, charge: float) -> None:
        self.total += charge
        self.touched_cosmos = True
        if self.parent is not None:
            self.parent.add(charge)

    def note_throttling(self, retry_after: float | None) -> None:
        self.throttled_for = retry_after
        if self.parent is not None:
            self.parent.note_throttling(retry_after)


_current: ContextVar[RequestCharge | None] = ContextVar("request_charge", default=None)


class metered:  # lower case: used as a function, `with metered() as meter`
    """A meter for the block; what it counts also counts in the enclosing meter, if any. A class,
    not a generator: it wraps every bulk batch, where a generator's overhead shows."""

    __slots__ = ("_token", "meter")
    _token: Token[RequestCharge | None]

    def __init__(self) -> None:
        self.meter = RequestCharge(parent=_current.get())

    def __enter__(self) -> RequestCharge:
        self._token = _current.set(self.meter)
        return self.meter

    def __exit__(self, *_: object) -> None:
        _current.reset(self._token)


def note_throttling(retry_after: float | None) -> None:
    """Whether the response just received was a 429 (its retry-after in seconds) or not
    (None): an invocation out of time while the SDK waits out 429s was throttled, not hung."""
    meter = _current.get()
    if meter is not None:
        meter.note_throttling(retry_after)


def throttled_for() -> float | None:
    """The retry-after of the current meter's last response, if that was a 429."""
    meter = _current.get()
    return meter.throttled_for if meter is not None else None


def add_charge(charge: float) -> None:
    """Count `charge` in the current meter (and the meters enclosing it)."""
    meter = _current.get()
    if meter is not None:
        meter.add(charge)

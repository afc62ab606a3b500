"""Request-unit accounting per invocation.

Every Cosmos call made while serving one invocation passes `response_hook=record_charge`; the
HTTP layer reads the total into `x-ms-request-charge`. A context variable keeps concurrent
invocations apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from shared.platform.errors import request_charge_of


class RequestCharge:
    """The request units spent so far by one invocation."""

    def __init__(self) -> None:
        self.total = 0.0
        self.touched_cosmos = False

    def add(self, charge: float) -> None:
        self.total += charge
        self.touched_cosmos = True


_current: ContextVar[RequestCharge | None] = ContextVar("request_charge", default=None)


def start_metering() -> RequestCharge:
    meter = RequestCharge()
    _current.set(meter)
    return meter


def add_charge(charge: float) -> None:
    meter = _current.get()
    if meter is not None:
        meter.add(charge)


def record_charge(headers: Mapping[str, str], *_: Any) -> None:
    """A Cosmos `response_hook`: adds the response's x-ms-request-charge to the invocation."""
    add_charge(request_charge_of(headers))

"""Request-unit accounting per invocation.

The Cosmos client calls `record_response` for every HTTP response it receives (a success, a
refusal, a throttled attempt, the metadata reads it makes on its own), so every request unit an
invocation spends is counted once, whatever happens to the call. The HTTP edge reads the total
into `x-ms-request-charge`. A context variable keeps concurrent invocations apart.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from azure.core.pipeline import PipelineResponse

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


def record_response(response: PipelineResponse[Any, Any]) -> None:
    """The client's `raw_response_hook`: adds the response's x-ms-request-charge to the
    invocation being served (if any)."""
    add_charge(request_charge_of(response.http_response.headers))

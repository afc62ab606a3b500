"""What the Functions worker tells an invocation about itself.

The worker hands a function its `context` (`func.Context`: the invocation's id, its trace
context) when the function's signature has a parameter of that name. The edges wrap handlers
that do not take one, so they declare it on the wrapper.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import azure.functions as func

CONTEXT = "context"


def passing_context(endpoint: Any, handler: Callable[..., Any]) -> None:
    """Have the worker pass `context` to `endpoint`, a wrapper of `handler`: the wrapper's
    signature becomes the handler's plus `context` (functools.wraps would have the worker see
    the handler's alone)."""
    signature = inspect.signature(handler)
    context = inspect.Parameter(CONTEXT, inspect.Parameter.KEYWORD_ONLY, default=None)
    endpoint.__signature__ = signature.replace(parameters=[*signature.parameters.values(), context])


def invocation_id(context: func.Context | None) -> str | None:
    """The invocation's id, when the worker gave a context (tests call edges without one)."""
    return context.invocation_id if context is not None else None

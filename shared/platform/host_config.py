"""What the Functions host is configured to do with queue messages, as the app must know it.

The app needs two of the host's settings, each read from host.json unless an app setting
`AzureFunctionsJobHost__<path>` overrides it, as the host reads them:
- how many deliveries a message gets before the host moves it to the poison queue
  (`extensions.queues.maxDequeueCount`): on its last delivery a part of an import is counted
  whatever happens, so that the import ends;
- how long an invocation may run (`functionTimeout`, 30 minutes on Flex Consumption unless
  host.json says otherwise): a message's writes never take more than half of it.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

HOST_JSON: Final = Path(__file__).resolve().parents[2] / "host.json"
MAX_DEQUEUE_COUNT_OVERRIDE: Final = "AzureFunctionsJobHost__extensions__queues__maxDequeueCount"
DEFAULT_MAX_DEQUEUE_COUNT: Final = 5  # the host's own default
FUNCTION_TIMEOUT_OVERRIDE: Final = "AzureFunctionsJobHost__functionTimeout"
DEFAULT_FUNCTION_TIMEOUT_SECONDS: Final = 30 * 60  # Flex Consumption's default
TIMESPAN: Final = re.compile(r"(?:(\d+)\.)?(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)")


def _host_json(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _from_host_json(path: Path) -> int | None:
    value = _host_json(path).get("extensions", {}).get("queues", {}).get("maxDequeueCount")
    return value if isinstance(value, int) and value > 0 else None


def timespan_seconds(text: str) -> float | None:
    """A .NET TimeSpan as host.json writes it (`[d.]hh:mm:ss[.fff]`) in seconds; None for
    anything else (`-1`, unbounded on the plans that allow it, included)."""
    match = TIMESPAN.fullmatch(text.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = match.groups()
    total = int(days or 0) * 86_400 + int(hours) * 3_600 + int(minutes) * 60 + float(seconds)
    return total or None


@lru_cache(maxsize=1)
def max_dequeue_count() -> int:
    """Deliveries a queue message gets before it goes to the poison queue."""
    override = os.environ.get(MAX_DEQUEUE_COUNT_OVERRIDE, "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    return _from_host_json(HOST_JSON) or DEFAULT_MAX_DEQUEUE_COUNT


@lru_cache(maxsize=1)
def function_timeout_seconds() -> float:
    """How long the host lets one invocation run."""
    override = os.environ.get(FUNCTION_TIMEOUT_OVERRIDE, "")
    configured = override or str(_host_json(HOST_JSON).get("functionTimeout", ""))
    return timespan_seconds(configured) or DEFAULT_FUNCTION_TIMEOUT_SECONDS

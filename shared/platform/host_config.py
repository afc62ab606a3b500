"""What the Functions host is configured to do with queue messages, as the app must know it.

The app needs one of the host's queue settings: how many deliveries a message gets before the
host moves it to the poison queue (`extensions.queues.maxDequeueCount` in host.json, which an
app setting `AzureFunctionsJobHost__extensions__queues__maxDequeueCount` overrides, as the host
reads it). On its last delivery a part of an import is counted whatever happens, so that the
import ends.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Final

HOST_JSON: Final = Path(__file__).resolve().parents[2] / "host.json"
MAX_DEQUEUE_COUNT_OVERRIDE: Final = "AzureFunctionsJobHost__extensions__queues__maxDequeueCount"
DEFAULT_MAX_DEQUEUE_COUNT: Final = 5  # the host's own default


def _from_host_json(path: Path) -> int | None:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = config.get("extensions", {}).get("queues", {}).get("maxDequeueCount")
    return value if isinstance(value, int) and value > 0 else None


@lru_cache(maxsize=1)
def max_dequeue_count() -> int:
    """Deliveries a queue message gets before it goes to the poison queue."""
    override = os.environ.get(MAX_DEQUEUE_COUNT_OVERRIDE, "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    return _from_host_json(HOST_JSON) or DEFAULT_MAX_DEQUEUE_COUNT

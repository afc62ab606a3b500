"""Names of the resources a benchmark run creates for itself (containers, queues, hosts' queues),
fresh each run so that runs on one stack never meet."""

from __future__ import annotations

import uuid


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"

"""How long to wait before sending a request again, and how often to try at all."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """`attempts` tries in all. Between two, the server's Retry-After when it gave one, else an
    exponential backoff from `first_delay` with jitter; never more than `max_delay` seconds."""

    attempts: int = 5
    first_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, *, failed_attempts: int, retry_after: float | None) -> float:
        """Seconds to wait after the `failed_attempts`-th failure (counted from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        backoff = min(self.first_delay * 2.0 ** (failed_attempts - 1), self.max_delay)
        return backoff * random.uniform(0.5, 1.0)  # jitter: retries of many clients spread out


def retry_after_seconds(header: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header's seconds (it may be a number of seconds or an HTTP date); None when
    there is none or it cannot be read."""
    if header is None or not header.strip():
        return None
    try:
        seconds = float(header)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)

"""Rejected records: what each one says, as the rejects queue and the rejects route carry it.

(Pure shapes: `reject_outlets` sends and stores them.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NotRequired

from typing_extensions import TypedDict

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, IngestMessage

TRUNCATED_RECORD_CHARACTERS = 32_000


@dataclass(frozen=True, kw_only=True)
class Reject:
    """A record that will not be written: where it was in its message, a status and why.
    `raw` holds a record that JSON cannot carry as a value (NaN, or a message that is not
    JSON at all) as text."""

    index: int | None
    status: int
    reason: str
    record: Any = None
    raw: str | None = None


class RejectEntry(TypedDict):
    """A reject on the wire: where it came from, why, and the record (or its trimmed text)."""

    importId: str | None
    part: int | None
    messageId: str
    index: int | None
    status: int
    reason: str
    record: NotRequired[Any]
    raw: NotRequired[str]
    truncated: NotRequired[str]


def reject_entry(reject: Reject, *, message: IngestMessage | None, message_id: str) -> RejectEntry:
    """The entry of `reject`, trimmed so that it always fits in a queue message."""
    entry = RejectEntry(
        importId=message.import_id if message else None,
        part=message.part if message else None,
        messageId=message_id,
        index=reject.index,
        status=reject.status,
        reason=reject.reason,
    )
    if reject.raw is not None:
        entry["raw"] = reject.raw
    else:
        entry["record"] = reject.record
    if len(json.dumps(entry).encode()) > MAX_MESSAGE_JSON_BYTES:
        dropped = entry.pop("record") if "record" in entry else entry.pop("raw", None)
        entry["truncated"] = json.dumps(dropped)[:TRUNCATED_RECORD_CHARACTERS]
    return entry

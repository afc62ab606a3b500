"""Rejected records: what each one says, as the rejects queue and the rejects route carry it.

(Pure shapes: `reject_reporting` sends and stores them.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired

from typing_extensions import TypedDict

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, IngestMessage
from shared.platform.utf8_json import compact_json, utf8_size

TRUNCATED_RECORD_CHARACTERS = 32_000  # at most; fewer when escapes make it grow


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
    if encoded_size(entry) > MAX_MESSAGE_JSON_BYTES:
        dropped = entry.pop("record") if "record" in entry else entry.pop("raw", None)
        text = dropped if isinstance(dropped, str) else compact_json(dropped)
        entry["truncated"] = _cut_to_fit(text, MAX_MESSAGE_JSON_BYTES - encoded_size(entry))
    return entry


def encoded_size(entry: RejectEntry) -> int:
    """The entry's size as the rejects queue carries it (and Cosmos DB stores it): its compact
    JSON in UTF-8."""
    return utf8_size(entry)


TRUNCATED_FIELD_OVERHEAD = len(',"truncated":""')


def _cut_to_fit(text: str, room: int) -> str:
    """The longest prefix of `text` (at most TRUNCATED_RECORD_CHARACTERS) whose JSON string,
    escapes included, takes no more than `room` bytes: quotes, backslashes, control characters
    and non-ASCII text take more than a byte each, so the cut is measured, not assumed."""
    room -= TRUNCATED_FIELD_OVERHEAD
    cut = text[:TRUNCATED_RECORD_CHARACTERS]
    while cut and (size := utf8_size(cut)) > room:
        cut = cut[: max(0, len(cut) * room // size - 1)]
    return cut

"""Ingest one queue message of products: validate, write in batches, report every reject.

Every record ends as written or as an entry in the rejects queue, or the message fails as a
whole (raising `RetryLater`) so that the host delivers it again; after the maximum dequeue count
the host moves it to the poison queue. Records are upserts, so a redelivery is harmless.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.catalog.models import Product
from shared.ingest import progress
from shared.ingest.executor import shared_executor
from shared.ingest.messages import (
    MAX_MESSAGE_JSON_BYTES,
    IngestMessage,
    MalformedMessage,
    parse_message,
)
from shared.ingest.retries import RetryBudget
from shared.ingest.writer import OutcomeKind, Record, WriteReport
from shared.platform import queues
from shared.platform.errors import field_errors
from shared.platform.json_input import holds_non_finite
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

NON_FINITE_REASON = "NaN and Infinity are not valid JSON numbers"
ID_NAMESPACE = uuid.UUID("4f3a1c52-8d0e-4b7a-9f61-2c5e7d9a0b13")


class RetryLater(Exception):
    """Transient failures outlasted the retry budget; the host should deliver the message again."""


@dataclass(frozen=True)
class Reject:
    index: int | None
    status: int
    reason: str
    record: Any = None
    raw: str | None = None


@dataclass(frozen=True)
class IngestSummary:
    written: int
    rejected: int
    duplicate: bool = False


def _derived_id(message: IngestMessage, message_id: str, index: int) -> str:
    """Records without an id get one derived from where they came from, so that a redelivery
    upserts the same item instead of creating another."""
    origin = f"{message.import_id}/{message.part}" if message.import_id else message_id
    return str(uuid.uuid5(ID_NAMESPACE, f"{origin}/{index}"))


def validate_records(message: IngestMessage, message_id: str) -> tuple[list[Record], list[Reject]]:
    records: list[Record] = []
    rejects: list[Reject] = []
    for index, raw in enumerate(message.records):
        if not isinstance(raw, dict):
            rejects.append(Reject(index, 400, "a product must be a JSON object", record=raw))
            continue
        if holds_non_finite(raw):
            rejects.append(Reject(index, 400, NON_FINITE_REASON, raw=_printable(raw)))
            continue
        try:
            data = {"id": _derived_id(message, message_id, index), **raw}
            records.append(Record(index=index, item=Product.model_validate(data).to_item()))
        except ValidationError as error:
            problems = field_errors(error.errors(include_input=False, include_url=False))
            reason = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            rejects.append(Reject(index, 400, reason, record=raw))
    return records, rejects


def _printable(record: Any) -> str:
    """A record holding NaN or Infinity, as text that JSON can carry."""
    return json.dumps(record, default=repr)


def reject_entry(reject: Reject, message: IngestMessage | None, message_id: str) -> str:
    """The rejects queue entry, trimmed so that it always fits in a queue message."""
    entry: dict[str, Any] = {
        "importId": message.import_id if message else None,
        "part": message.part if message else None,
        "messageId": message_id,
        "index": reject.index,
        "status": reject.status,
        "reason": reject.reason,
    }
    if reject.raw is not None:
        entry["raw"] = reject.raw
    else:
        entry["record"] = reject.record
    text = json.dumps(entry)
    if len(text.encode()) > MAX_MESSAGE_JSON_BYTES:
        kept = {k: v for k, v in entry.items() if k not in ("record", "raw")}
        kept["truncated"] = json.dumps(entry.get("record", entry.get("raw")))[:32_000]
        text = json.dumps(kept)
    return text


async def send_rejects(
    rejects: Sequence[Reject], message: IngestMessage | None, message_id: str
) -> None:
    queue = get_settings().rejects_queue
    for reject in rejects:
        await queues.send(queue, reject_entry(reject, message, message_id))


async def ingest(body: bytes, *, message_id: str) -> IngestSummary:
    """Process one message. Raises RetryLater (or a Cosmos error) when the host should deliver
    it again; every Cosmos call shares one retry budget."""
    try:
        message = parse_message(body)
    except MalformedMessage as error:
        raw = body.decode("utf-8", errors="replace")
        await send_rejects([Reject(None, 400, str(error), raw=raw)], None, message_id)
        return IngestSummary(written=0, rejected=1)
    settings = get_settings()
    budget = RetryBudget(seconds=settings.writer_retry_budget_seconds)
    part = _import_part(message)
    if part and await _already_counted(part, budget):
        return IngestSummary(written=0, rejected=0, duplicate=True)

    records, rejects = validate_records(message, message_id)
    report = await (await shared_executor()).write(records, budget=budget)
    retry = report.of_kind(OutcomeKind.RETRY)
    if retry:
        raise RetryLater(f"{len(retry)} records hit transient failures: {retry[0].reason}")
    rejects += _rejected_by_cosmos(report, records)
    await send_rejects(sorted(rejects, key=lambda r: r.index or 0), message, message_id)

    summary = IngestSummary(written=len(report.of_kind(OutcomeKind.WRITTEN)), rejected=len(rejects))
    if part:
        await budget.call(
            lambda: progress.record_part(
                import_id=part[0],
                part=part[1],
                message_id=message_id,
                written=summary.written,
                rejected=summary.rejected,
            )
        )
    return summary


def _import_part(message: IngestMessage) -> tuple[str, int] | None:
    """(import id, part number) for a part of an import, which is counted once; else None."""
    if message.import_id is None or message.part is None:
        return None
    return message.import_id, message.part


async def _already_counted(part: tuple[str, int], budget: RetryBudget) -> bool:
    import_id, number = part
    if not await budget.call(lambda: progress.part_recorded(import_id=import_id, part=number)):
        return False
    logger.info("Part %s of import %s was already counted", number, import_id)
    await budget.call(lambda: progress.note_duplicate_delivery(import_id=import_id))
    return True


def _rejected_by_cosmos(report: WriteReport, records: list[Record]) -> list[Reject]:
    by_index = {record.index: record.item for record in records}
    return [
        Reject(outcome.index, outcome.status or 500, outcome.reason or "", by_index[outcome.index])
        for outcome in report.of_kind(OutcomeKind.REJECTED)
    ]

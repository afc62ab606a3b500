"""Ingest one queue message of products: validate, write in batches, report every reject.

Every record ends as written or as a reject (with its reason), or the message fails as a whole
(raising `RetryLater`) so that the host delivers it again; after the maximum dequeue count the
host moves it to the poison queue. Records are upserts, so a redelivery is harmless, and a part
of an import is counted once however often it is delivered.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from shared.catalog.models import Product
from shared.ingest import progress
from shared.ingest.executor import shared_executor
from shared.ingest.messages import IngestMessage, MalformedMessage, parse_message
from shared.ingest.progress import ImportProgress, ImportState, PartCount
from shared.ingest.reject_outlets import send_rejects, store_rejects
from shared.ingest.rejects import Reject
from shared.ingest.retries import RetryBudget, RetryBudgetExhausted
from shared.ingest.writer import OutcomeKind, Record, WriteReport
from shared.platform import metrics, telemetry
from shared.platform.charges import add_charge
from shared.platform.errors import field_errors
from shared.platform.json_input import holds_non_finite
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

NON_FINITE_REASON = "NaN and Infinity are not valid JSON numbers"
ID_NAMESPACE = uuid.UUID("4f3a1c52-8d0e-4b7a-9f61-2c5e7d9a0b13")


class RetryLater(Exception):
    """Transient failures outlasted the retry budget; the host should deliver the message again.
    Its cause is the last error that kept failing."""


@dataclass(frozen=True, kw_only=True)
class ImportPart:
    import_id: str
    number: int

    @classmethod
    def of(cls, message: IngestMessage) -> ImportPart | None:
        """The import part a message is, or None for a message that is no part of an import."""
        if message.import_id is None or message.part is None:
            return None
        return cls(import_id=message.import_id, number=message.part)


@dataclass(frozen=True, kw_only=True)
class IngestSummary:
    written: int
    rejected: int
    part_count: PartCount | None = None  # how counting the import part went, for a part

    @property
    def duplicate(self) -> bool:
        return self.part_count is PartCount.ALREADY_COUNTED


def _derived_id(message: IngestMessage, message_id: str, index: int) -> str:
    """Records without an id get one derived from where they came from, so that a redelivery
    upserts the same item instead of creating another."""
    origin = f"{message.import_id}/{message.part}" if message.import_id else message_id
    return str(uuid.uuid5(ID_NAMESPACE, f"{origin}/{index}"))


def _validated(message: IngestMessage, message_id: str, index: int, raw: object) -> Record | Reject:
    if not isinstance(raw, dict):
        return Reject(index=index, status=400, reason="a product must be a JSON object", record=raw)
    if holds_non_finite(raw):
        return Reject(index=index, status=400, reason=NON_FINITE_REASON, raw=_printable(raw))
    try:
        data = {"id": _derived_id(message, message_id, index), **raw}
        return Record(index=index, item=Product.model_validate(data).to_item())
    except ValidationError as error:
        problems = field_errors(error.errors(include_input=False, include_url=False))
        reason = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return Reject(index=index, status=400, reason=reason, record=raw)


def validate_records(message: IngestMessage, message_id: str) -> tuple[list[Record], list[Reject]]:
    """The message's raw records as valid records to write, and rejects for the rest."""
    records: list[Record] = []
    rejects: list[Reject] = []
    for index, raw in enumerate(message.raw_records):
        checked = _validated(message, message_id, index, raw)
        if isinstance(checked, Record):
            records.append(checked)
        else:
            rejects.append(checked)
    return records, rejects


def _printable(record: object) -> str:
    """A record holding NaN or Infinity, as text that JSON can carry."""
    return json.dumps(record, default=repr)


async def ingest(body: bytes, *, message_id: str) -> IngestSummary:
    """Process one message. Raises RetryLater when the host should deliver it again; every
    Cosmos call shares one retry budget."""
    try:
        message = parse_message(body)
    except MalformedMessage as error:
        raw = body.decode("utf-8", errors="replace")
        reject = Reject(index=None, status=400, reason=str(error), raw=raw)
        await send_rejects([reject], message=None, message_id=message_id)
        return IngestSummary(written=0, rejected=1)
    budget = RetryBudget(seconds=get_settings().writer_retry_budget_seconds)
    try:
        return await _ingest_message(message, message_id, budget)
    except RetryBudgetExhausted as error:
        raise RetryLater(str(error)) from error.last_error


async def _ingest_message(
    message: IngestMessage, message_id: str, budget: RetryBudget
) -> IngestSummary:
    part = ImportPart.of(message)
    if part is None:
        return await _write_and_report(message, message_id, budget)
    attributes: telemetry.Attributes = {
        "catalog.import.id": part.import_id,
        "catalog.import.part": part.number,
    }
    with telemetry.charged_span("ingest import part", attributes=attributes) as span:
        if await _already_counted(part, budget):
            return IngestSummary(written=0, rejected=0, part_count=PartCount.ALREADY_COUNTED)
        summary = await _write_and_report(message, message_id, budget)
        count = await _count_part(
            part, summary, message=message, message_id=message_id, budget=budget
        )
        span.set("catalog.ingest.written", summary.written)
        span.set("catalog.ingest.rejected", summary.rejected)
    return IngestSummary(written=summary.written, rejected=summary.rejected, part_count=count)


async def _write_and_report(
    message: IngestMessage, message_id: str, budget: RetryBudget
) -> IngestSummary:
    """Write the message's valid records; store (for an import part) and send every reject."""
    records, rejects = validate_records(message, message_id)
    report = await _write(records, budget)
    rejects += _rejected_by_cosmos(report, records)
    rejects.sort(key=lambda reject: reject.index or 0)
    await budget.call(lambda: store_rejects(rejects, message=message, message_id=message_id))
    await send_rejects(rejects, message=message, message_id=message_id)
    written = len(report.of_kind(OutcomeKind.WRITTEN))
    metrics.count_records(written, outcome="written")
    metrics.count_records(len(rejects), outcome="rejected")
    return IngestSummary(written=written, rejected=len(rejects))


async def _write(records: list[Record], budget: RetryBudget) -> WriteReport:
    """Every record's outcome; RetryLater (caused by the last transient error) if any record
    could not be written within the budget."""
    report = await (await shared_executor()).write(records, budget=budget)
    add_charge(report.request_charge)  # this message's share of the batches it rode in
    retry = report.of_kind(OutcomeKind.RETRY)
    if retry:
        detail = f"{len(retry)} records hit transient failures: {retry[0].reason}"
        raise RetryLater(detail) from retry[0].error
    return report


async def _already_counted(part: ImportPart, budget: RetryBudget) -> bool:
    import_id, number = part.import_id, part.number
    if not await budget.call(lambda: progress.part_recorded(import_id=import_id, part=number)):
        return False
    logger.info("Part %s of import %s was already counted", number, import_id)
    await budget.call(lambda: progress.note_duplicate_delivery(import_id=import_id))
    return True


async def _count_part(
    part: ImportPart,
    summary: IngestSummary,
    *,
    message: IngestMessage,
    message_id: str,
    budget: RetryBudget,
) -> PartCount:
    """Add the part's counts to its import, once."""
    recorded = await budget.call(
        lambda: progress.record_part(
            import_id=part.import_id,
            part=part.number,
            message_id=message_id,
            written=summary.written,
            rejected=summary.rejected,
        )
    )
    if recorded.count is PartCount.ALREADY_COUNTED:
        logger.info(
            "Part %s of import %s was counted by another delivery", part.number, part.import_id
        )
        await budget.call(lambda: progress.note_duplicate_delivery(import_id=part.import_id))
    elif recorded.count is PartCount.UNKNOWN_IMPORT:
        await _report_unknown_import(part, summary, message=message, message_id=message_id)
    elif recorded.progress is not None and recorded.progress.state is not ImportState.RUNNING:
        _finished(recorded.progress)
    return recorded.count


async def _report_unknown_import(
    part: ImportPart, summary: IngestSummary, *, message: IngestMessage, message_id: str
) -> None:
    """A part of an import that does not exist is an error an operator must see: it is logged
    and reported as a reject of the whole part."""
    logger.error(
        "Import %s does not exist: part %s (%s written, %s rejected) cannot be counted",
        part.import_id, part.number, summary.written, summary.rejected,
    )  # fmt: skip
    reason = (
        f"import {part.import_id} does not exist: the part's {summary.written} written and "
        f"{summary.rejected} rejected records cannot be counted in its progress"
    )
    orphan = Reject(index=None, status=404, reason=reason)
    await send_rejects([orphan], message=message, message_id=message_id)


def _finished(state: ImportProgress) -> None:
    """The last part of an import was counted: how long the whole import took."""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(state.created_at)).total_seconds()
    metrics.record_import_duration(seconds)
    logger.info(
        "Import %s %s in %.1f s: %s written, %s rejected",
        state.import_id, state.state.value, seconds, state.written, state.rejected,
    )  # fmt: skip


def _rejected_by_cosmos(report: WriteReport, records: list[Record]) -> list[Reject]:
    by_index = {record.index: record.item for record in records}
    return [
        Reject(
            index=outcome.index,
            status=outcome.status or 500,
            reason=outcome.reason or "",
            record=by_index[outcome.index],
        )
        for outcome in report.of_kind(OutcomeKind.REJECTED)
    ]

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
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from shared.catalog.models import Product
from shared.ingest import import_parts, progress
from shared.ingest.executor import shared_executor
from shared.ingest.import_parts import Admission, Counted, ImportPart
from shared.ingest.messages import IngestMessage, MalformedMessage, parse_message
from shared.ingest.outcomes import OutcomeKind, Record, WriteReport
from shared.ingest.progress import ImportProgress, PartCount
from shared.ingest.reject_reporting import send_rejects, store_rejects
from shared.ingest.rejects import Reject
from shared.ingest.retries import RetryBudget, RetryBudgetExhausted, error_summary
from shared.platform import cosmos, metrics, telemetry
from shared.platform.charges import add_charge
from shared.platform.errors import field_errors, is_store_missing
from shared.platform.host_config import function_timeout_seconds, max_dequeue_count
from shared.platform.json_numbers import first_refused
from shared.platform.settings import get_settings

logger = logging.getLogger(__name__)

ID_NAMESPACE = uuid.UUID("4f3a1c52-8d0e-4b7a-9f61-2c5e7d9a0b13")


class RetryLater(Exception):
    """Transient failures outlasted the retry budget; the host should deliver the message again.
    Its cause is the last error that kept failing."""


@dataclass(frozen=True, kw_only=True)
class IngestSummary:
    written: int
    rejected: int
    unwritten: int = 0  # of the rejected: records that transient failures kept from Cosmos DB
    part_count: PartCount | None = None  # how counting the import part went, for a part

    @property
    def duplicate(self) -> bool:
        return self.part_count is PartCount.ALREADY_COUNTED


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One delivery of a message: its id, and whether the host will deliver it again if this
    delivery fails (after the last, the host moves it to the poison queue)."""

    message_id: str
    dequeue_count: int = 1

    @property
    def last(self) -> bool:
        return self.dequeue_count >= max_dequeue_count()


def _derived_id(message: IngestMessage, message_id: str, index: int) -> str:
    """Records without an id get one derived from where they came from, so that a redelivery
    upserts the same item instead of creating another."""
    origin = f"{message.import_id}/{message.part}" if message.import_id else message_id
    return str(uuid.uuid5(ID_NAMESPACE, f"{origin}/{index}"))


def _validated(message: IngestMessage, message_id: str, index: int, raw: object) -> Record | Reject:
    if not isinstance(raw, dict):
        return Reject(index=index, status=400, reason="a product must be a JSON object", record=raw)
    refused = first_refused(raw) if message.may_hold_refused_numbers else None
    if refused is not None:
        reason = f"{refused.field}: {refused.reason}"
        return Reject(index=index, status=400, reason=reason, raw=_printable(raw))
    try:
        data = raw if "id" in raw else {"id": _derived_id(message, message_id, index), **raw}
        return Record(index=index, item=Product.model_validate(data).to_item())
    except ValidationError as error:
        problems = field_errors(error.errors(include_input=False, include_url=False))
        reason = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return Reject(index=index, status=400, reason=reason, record=raw)


def _superseded(index: int, by_record: int, raw: object) -> Reject:
    reason = (
        f"superseded by record {by_record} of the import's body (counted from 0 in the whole "
        "body, not in this part), which has the same categoryId and id (the last occurrence is "
        "written)"
    )
    return Reject(index=index, status=409, reason=reason, record=raw)


def validate_records(
    message: IngestMessage, message_id: str, superseded: Mapping[int, int] | None = None
) -> tuple[list[Record], list[Reject]]:
    """The message's raw records as valid records to write, and rejects for the rest (including
    those that a later record of the same import replaces)."""
    records: list[Record] = []
    rejects: list[Reject] = []
    superseded = superseded or {}
    for index, raw in enumerate(message.raw_records):
        if index in superseded:
            rejects.append(_superseded(index, superseded[index], raw))
            continue
        checked = _validated(message, message_id, index, raw)
        if isinstance(checked, Record):
            records.append(checked)
        else:
            rejects.append(checked)
    return records, rejects


def _printable(record: object) -> str:
    """A record (or records) that may hold a refused number, as text that JSON can carry (the
    number as sent, in a string)."""
    return json.dumps(record, default=repr)


async def ingest(body: bytes, *, message_id: str, dequeue_count: int = 1) -> IngestSummary:
    """Process one message. Raises RetryLater when the host should deliver it again; every
    Cosmos call shares one retry budget. On the last delivery, records that still cannot be
    written become rejects (so that an import ends) and RetryLater still sends the message on
    to the poison queue, with its reason logged and reported."""
    delivery = Delivery(message_id=message_id, dequeue_count=dequeue_count)
    try:
        message = parse_message(body)
    except MalformedMessage as error:
        raw = body.decode("utf-8", errors="replace")
        reject = Reject(index=None, status=400, reason=str(error), raw=raw)
        await send_rejects([reject], message=None, message_id=message_id)
        return IngestSummary(written=0, rejected=1)
    try:
        return await _ingest_message(message, delivery)
    except RetryBudgetExhausted as error:
        failure = RetryLater(str(error))
        failure.__cause__ = error.last_error
    except RetryLater as error:
        failure = error
    except Exception as error:
        _rebuild_clients_if_store_missing(error)
        raise
    _rebuild_clients_if_store_missing(failure.__cause__)
    if delivery.last:
        await _report_poisoned(message, delivery, failure)
    raise failure


def _rebuild_clients_if_store_missing(error: BaseException | None) -> None:
    """A container that went missing may be created again (COSMOS_CREATE_IF_MISSING, or an
    operator): the next delivery must not write through clients and an executor built for the
    old one, as the HTTP edge does not read through them."""
    if is_store_missing(error):
        logger.error("The Cosmos DB database or container is missing; clients will be rebuilt")
        cosmos.discard_clients()


def _budget() -> RetryBudget:
    """A message's budget: renewed as its records are written, within half the host's timeout
    (the rest is for its rejects and its count)."""
    seconds = get_settings().writer_retry_budget_seconds
    return RetryBudget(seconds=seconds, longest=max(seconds, function_timeout_seconds() / 2))


async def _ingest_message(message: IngestMessage, delivery: Delivery) -> IngestSummary:
    part = ImportPart.of(message)
    if part is None:
        summary = await _write_and_report(message, delivery, _budget())
        _raise_if_unwritten(summary, delivery)
        return summary
    attributes: telemetry.Attributes = {
        "catalog.import.id": part.import_id,
        "catalog.import.part": part.number,
    }
    with telemetry.charged_span("ingest import part", attributes=attributes) as span:
        summary = await _ingest_part(part, message, delivery)
        span.set("catalog.ingest.written", summary.written)
        span.set("catalog.ingest.rejected", summary.rejected)
    _raise_if_unwritten(summary, delivery)
    return summary


async def _ingest_part(
    part: ImportPart, message: IngestMessage, delivery: Delivery
) -> IngestSummary:
    admitted = await import_parts.admit(part, _budget())
    budget = _budget()  # waiting for the import to open is not the writes' time
    if admitted.admission is Admission.CLOSED:
        await _report_whole_part(part, message, delivery, reason=admitted.reason, status=409)
        return IngestSummary(written=0, rejected=0)
    if admitted.admission is Admission.ORPHAN:
        summary = await _write_and_report(message, delivery, budget)
        await _report_orphan(part, summary, message, delivery, reason=admitted.reason)
        return summary
    counted = await import_parts.already_counted(part, budget)
    if counted is Counted.THIS_MESSAGE:
        return IngestSummary(written=0, rejected=0, part_count=PartCount.ALREADY_COUNTED)
    if counted is Counted.ANOTHER_MESSAGE:
        reason = (
            f"part {part.number} of import {part.import_id} was counted from a message with other "
            "content: this one is not that part"
        )
        await _report_whole_part(part, message, delivery, reason=reason, status=409, whole=True)
        return IngestSummary(written=0, rejected=len(message.raw_records))
    superseded = await _supersessions(part, admitted.progress, budget)
    summary = await _write_and_report(message, delivery, budget, superseded=superseded)
    count = await import_parts.count_part(
        part,
        message_id=delivery.message_id,
        written=summary.written,
        rejected=summary.rejected,
        budget=budget,
    )
    if count is PartCount.UNKNOWN_IMPORT:
        await _report_orphan(
            part, summary, message, delivery, reason=f"import {part.import_id} does not exist"
        )
    return IngestSummary(
        written=summary.written,
        rejected=summary.rejected,
        unwritten=summary.unwritten,
        part_count=count,
    )


async def _supersessions(
    part: ImportPart, state: ImportProgress | None, budget: RetryBudget
) -> dict[int, int]:
    if state is None or not state.superseded:
        return {}
    return await budget.call(
        lambda: progress.read_supersessions(import_id=part.import_id, part=part.number)
    )


async def _write_and_report(
    message: IngestMessage,
    delivery: Delivery,
    budget: RetryBudget,
    *,
    superseded: Mapping[int, int] | None = None,
) -> IngestSummary:
    """Write the message's valid records; store (for an import part) and send every reject."""
    records, rejects = validate_records(message, delivery.message_id, superseded)
    report = await _write(records, budget, last_delivery=delivery.last)
    unwritten = _unwritten(report, records, delivery)
    rejects += _rejected_by_cosmos(report, records) + unwritten
    rejects.sort(key=lambda reject: reject.index or 0)
    message_id = delivery.message_id
    await budget.call(lambda: store_rejects(rejects, message=message, message_id=message_id))
    await send_rejects(rejects, message=message, message_id=message_id)
    written = len(report.of_kind(OutcomeKind.WRITTEN))
    metrics.count_records(written, outcome="written")
    metrics.count_records(len(rejects), outcome="rejected")
    return IngestSummary(written=written, rejected=len(rejects), unwritten=len(unwritten))


async def _write(records: list[Record], budget: RetryBudget, *, last_delivery: bool) -> WriteReport:
    """Every record's outcome. Before the last delivery, RetryLater (caused by the last
    transient error) if any record could not be written within the budget."""
    report = await (await shared_executor()).write(records, budget=budget)
    add_charge(report.request_charge)  # this message's share of the batches it rode in
    retry = report.of_kind(OutcomeKind.RETRY)
    if retry and not last_delivery:
        detail = f"{len(retry)} records hit transient failures: {retry[0].reason}"
        raise RetryLater(detail) from retry[0].error
    return report


def _unwritten(report: WriteReport, records: list[Record], delivery: Delivery) -> list[Reject]:
    """On the last delivery: the records that transient failures kept from Cosmos DB."""
    by_index = {record.index: record.item for record in records}
    return [
        Reject(
            index=outcome.index,
            status=outcome.status or 503,
            reason=(
                f"not written in {delivery.dequeue_count} deliveries of its message: "
                f"{outcome.reason or 'transient failures'}"
            ),
            record=by_index[outcome.index],
        )
        for outcome in report.of_kind(OutcomeKind.RETRY)
    ]


def _raise_if_unwritten(summary: IngestSummary, delivery: Delivery) -> None:
    """Records given up on the last delivery are rejects now; the message still goes to the
    poison queue, so that operators see it."""
    if summary.unwritten:
        raise RetryLater(
            f"{summary.unwritten} records were not written in {delivery.dequeue_count} deliveries"
        )


async def _report_whole_part(
    part: ImportPart,
    message: IngestMessage,
    delivery: Delivery,
    *,
    reason: str,
    status: int,
    whole: bool = False,
) -> None:
    """One reject for a part that is not written; with `whole`, carrying its records as text
    (nothing else will: its import counts another message as that part)."""
    logger.warning("Part %s of import %s is not written: %s", part.number, part.import_id, reason)
    raw = _printable(message.raw_records) if whole else None
    reason = f"{reason}; the part was not written"
    await send_rejects(
        [Reject(index=None, status=status, reason=reason, raw=raw)],
        message=message,
        message_id=delivery.message_id,
    )


async def _report_orphan(
    part: ImportPart,
    summary: IngestSummary,
    message: IngestMessage,
    delivery: Delivery,
    *,
    reason: str,
) -> None:
    """A part that belongs to no import is an error an operator must see: it is logged and
    reported as a reject of the whole part."""
    logger.error(
        "Part %s cannot be counted (%s): %s written, %s rejected",
        part.number, reason, summary.written, summary.rejected,
    )  # fmt: skip
    detail = (
        f"{reason}: the part's {summary.written} written and {summary.rejected} rejected records "
        "cannot be counted in its progress"
    )
    orphan = Reject(index=None, status=404, reason=detail)
    await send_rejects([orphan], message=message, message_id=delivery.message_id)


async def _report_poisoned(message: IngestMessage, delivery: Delivery, failure: RetryLater) -> None:
    """The host moves the message to the poison queue after this delivery: say why."""
    cause = failure.__cause__
    last_error = f"; last error: {error_summary(cause)}" if cause is not None else ""
    reason = f"moved to the poison queue after {delivery.dequeue_count} deliveries: {failure}"
    logger.error("Message %s %s%s", delivery.message_id, reason, last_error)
    poisoned = Reject(index=None, status=503, reason=f"{reason}{last_error}")
    try:
        await send_rejects([poisoned], message=message, message_id=delivery.message_id)
    except Exception as error:  # noqa: BLE001 - the message still goes to poison, as logged
        logger.warning(
            "The poison reject of %s was not sent: %s", delivery.message_id, error_summary(error)
        )


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

"""Starting an import: check the body, record the import, enqueue its parts."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from typing import Literal

import azure.functions as func

from shared.api.http import api_path, media_type, read_body
from shared.api.wire import ImportAccepted, ImportLinks, ImportRejects
from shared.api.wire import ImportProgress as ImportProgressBody
from shared.ingest import intake, progress
from shared.ingest.progress import ImportProgress, ImportState
from shared.ingest.reject_reporting import RejectPage
from shared.platform import metrics
from shared.platform.errors import (
    BadRequestError,
    NotFoundError,
    ServiceError,
    ServiceUnavailableError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
    to_service_error,
)
from shared.platform.limits import JSON_MEDIA_TYPE, MAX_IMPORT_BYTES, NDJSON_MEDIA_TYPE
from shared.platform.settings import get_settings

UUID_LENGTH = 36  # the canonical form, as start() hands it out
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255  # long enough for any UUID or hash
_IMPORT_IDS = uuid.UUID("9d1c2a4e-5b7f-4c3d-8e6a-0f1b2c3d4e5f")
FAILURE_RECORDING_SECONDS = 5.0
# Of HTTP_TIMEOUT_SECONDS, what enqueuing may take: the rest is for marking a late import failed
# and answering with its id.
INTAKE_SHARE = 0.8

logger = logging.getLogger(__name__)


def import_key(req: func.HttpRequest) -> str:
    """The import id from the route. Ids are canonical UUIDs: anything else names no import
    (404) and never reaches Cosmos DB."""
    raw = req.route_params.get("importId", "")
    try:
        parsed = uuid.UUID(raw) if len(raw) == UUID_LENGTH else None
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != raw.lower():
        raise NotFoundError("No import has this id.")
    return str(parsed)


def _import_media_type(req: func.HttpRequest) -> str:
    sent = media_type(req) or JSON_MEDIA_TYPE
    if sent not in (JSON_MEDIA_TYPE, NDJSON_MEDIA_TYPE):
        raise UnsupportedMediaTypeError(
            f"Send the products as {JSON_MEDIA_TYPE} (an array) or {NDJSON_MEDIA_TYPE}."
        )
    return sent


def import_location(import_id: str) -> str:
    return api_path(f"imports/{import_id}")


def rejects_location(import_id: str) -> str:
    return f"{import_location(import_id)}/rejects"


def accepted_body(progress: ImportProgress) -> ImportAccepted:
    return ImportAccepted(
        importId=progress.import_id, records=progress.accepted, messages=progress.messages
    )


PublicState = Literal["running", "completed", "completedWithRejects", "failed"]
_PUBLIC_STATES: dict[ImportState, PublicState] = {
    ImportState.PENDING: "running",  # never shown: a pending import is not found (404)
    ImportState.RUNNING: "running",
    ImportState.COMPLETED: "completed",
    ImportState.COMPLETED_WITH_REJECTS: "completedWithRejects",
    ImportState.FAILED: "failed",
}


def progress_body(progress: ImportProgress) -> ImportProgressBody:
    """The progress document; it links to the rejects once there are any."""
    body = ImportProgressBody(
        importId=progress.import_id,
        state=_PUBLIC_STATES[progress.state],
        accepted=progress.accepted,
        written=progress.written,
        rejected=progress.rejected,
        messages=progress.messages,
        messagesDone=progress.messages_done,
        duplicateDeliveries=progress.duplicate_deliveries,
        superseded=progress.superseded,
        createdAt=progress.created_at,
    )
    if progress.reason:
        body["reason"] = progress.reason
    if progress.rejected:
        body["links"] = ImportLinks(rejects=rejects_location(progress.import_id))
    return body


async def visible_progress(import_id: str) -> ImportProgress:
    """The import's progress; 404 while it is still being enqueued, as for no import at all."""
    state = await progress.read_progress(import_id=import_id)
    if not state.visible:
        raise NotFoundError("No import has this id.")
    return state


def rejects_body(page: RejectPage) -> ImportRejects:
    body = ImportRejects(items=page.entries, count=len(page.entries))
    if page.continuation:
        body["continuation"] = page.continuation
    return body


def idempotency_key(req: func.HttpRequest) -> str | None:
    """The request's idempotency key, if it sent one (an empty value is none): at most 255
    characters, which the host has already checked are visible ASCII or spaces."""
    key = (req.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise BadRequestError(
            f"{IDEMPOTENCY_HEADER} may be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
        )
    return key


def _fingerprint(body: bytes, sent_type: str) -> str:
    digest = hashlib.sha256(sent_type.encode() + b"\n")
    digest.update(body)  # not `type + body`: that would be one more copy of the whole body
    return digest.hexdigest()


async def _begin(key: str | None, body: bytes, sent_type: str) -> progress.Begun:
    """A pending import: a new one, or the one an earlier request with the same key began."""
    if key is None:
        return await progress.begin_import(import_id=str(uuid.uuid4()), fingerprint=None)
    fingerprint = await asyncio.to_thread(_fingerprint, body, sent_type)  # hashing frees the GIL
    import_id = str(uuid.uuid5(_IMPORT_IDS, key))
    try:
        return await progress.begin_import(import_id=import_id, fingerprint=fingerprint)
    except progress.IdempotencyKeyReused:
        raise UnprocessableContentError(
            f"This {IDEMPOTENCY_HEADER} was sent before with another body; use a new key."
        ) from None


def _is_the_body_s_fault(error: BaseException) -> bool:
    """A 4xx: sending the same body again can only fail the same way."""
    return isinstance(error, ServiceError) and 400 <= error.status < 500


def _failure_reason(error: BaseException) -> str:
    if isinstance(error, (asyncio.CancelledError, TimeoutError)):
        cause = "The request ended before every part was enqueued"
    else:
        cause = f"Enqueuing the parts failed: {to_service_error(error).detail}"
    if _is_the_body_s_fault(error):
        advice = f"Correct the body and send it with a new {IDEMPOTENCY_HEADER}"
    else:
        advice = f"Send it again with the same {IDEMPOTENCY_HEADER}"
    return f"{cause.rstrip('.')}. {advice}."


async def _forget(import_id: str) -> None:
    """Remove an import that nothing was enqueued for; should that fail, it stays pending,
    invisible (404) and harmless."""
    try:
        async with asyncio.timeout(FAILURE_RECORDING_SECONDS):
            await progress.forget_import(import_id=import_id)
    except Exception as failure:  # noqa: BLE001 - the request's own error is the one to answer
        logger.warning("Import %s could not be forgotten (%s)", import_id, type(failure).__name__)


async def _record_failure(import_id: str, error: BaseException) -> None:
    """Mark the import failed; its parts already on the queue will not be written."""
    try:
        async with asyncio.timeout(FAILURE_RECORDING_SECONDS):
            await progress.fail_import(import_id=import_id, reason=_failure_reason(error))
    except Exception as failure:  # noqa: BLE001 - the request's own error is the one to answer
        logger.warning(
            "Import %s could not be marked failed (%s); it stays pending, and its parts are "
            "not written", import_id, type(failure).__name__,
        )  # fmt: skip


async def _enqueue_and_open(import_id: str, body: bytes, sent_type: str) -> ImportProgress:
    queue = get_settings().ingest_queue
    taken = await intake.enqueue_parts(
        import_id=import_id, body=body, media_type=sent_type, queue=queue
    )
    await progress.store_supersessions(import_id=import_id, superseded=taken.superseded)
    return await progress.open_import(
        import_id=import_id,
        accepted=taken.records,
        messages=taken.messages,
        superseded=taken.superseded_count,
    )


def _too_slow(seconds: float) -> str:
    return (
        f"The import was not enqueued within {seconds:g} s; send it again with the same "
        f"{IDEMPOTENCY_HEADER}, or in smaller requests."
    )


def _naming(import_id: str, problem: ServiceError) -> ServiceError:
    """The problem, naming the import that failed (GET it for the reason)."""
    problem.extensions["importId"] = import_id
    return problem


async def start(req: func.HttpRequest) -> ImportProgress:
    """Take in an import: the import becomes visible (running) once all its parts are on the
    queue. The same request sent again with the same idempotency key returns the same import."""
    sent_type = _import_media_type(req)
    key = idempotency_key(req)
    body = read_body(req, limit=MAX_IMPORT_BYTES)
    begun = await _begin(key, body, sent_type)
    if begun.replayed:
        return begun.progress
    import_id = begun.progress.import_id
    seconds = get_settings().http_timeout_seconds * INTAKE_SHARE
    try:
        async with asyncio.timeout(seconds):
            opened = await _enqueue_and_open(import_id, body, sent_type)
    except intake.IntakeFailed as failed:
        if failed.parts_sent == 0 and _is_the_body_s_fault(failed.error):
            # Nothing reached the queue: the import never began, and its key stays free.
            await _forget(import_id)
            raise to_service_error(failed.error) from None
        await _record_failure(import_id, failed.error)
        raise _naming(import_id, to_service_error(failed.error)) from failed.error
    except BaseException as error:
        await _record_failure(import_id, error)
        if isinstance(error, TimeoutError):
            raise _naming(import_id, ServiceUnavailableError(_too_slow(seconds))) from None
        if isinstance(error, Exception):
            raise _naming(import_id, to_service_error(error)) from error
        raise
    metrics.count_records(opened.accepted, outcome="accepted")
    return opened

"""Starting an import: check the body, record the import, enqueue its parts."""

from __future__ import annotations

import asyncio
import uuid

import azure.functions as func

from shared.api.http import api_path, media_type, read_body
from shared.api.wire import ImportAccepted, ImportLinks, ImportRejects
from shared.api.wire import ImportProgress as ImportProgressBody
from shared.ingest import progress
from shared.ingest.packing import (
    ImportPlan,
    iter_records,
    pack_messages,
    plan_import,
)
from shared.ingest.progress import ImportProgress
from shared.ingest.reject_outlets import RejectPage
from shared.platform import metrics, queues
from shared.platform.errors import NotFoundError, UnsupportedMediaTypeError
from shared.platform.limits import JSON_MEDIA_TYPE, MAX_REQUEST_BYTES, NDJSON_MEDIA_TYPE
from shared.platform.settings import get_settings

SEND_CONCURRENCY = 16
UUID_LENGTH = 36  # the canonical form, as start() hands it out


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


async def _enqueue(import_id: str, body: bytes, sent_type: str) -> None:
    """Send every part, a bounded number at a time; a failed send fails the request."""
    queue = get_settings().ingest_queue
    slots = asyncio.Semaphore(SEND_CONCURRENCY)
    sends: set[asyncio.Task[None]] = set()

    async def send(text: str) -> None:
        try:
            await queues.send(queue, text)
        finally:
            slots.release()

    try:
        for text in pack_messages(import_id, iter_records(body, sent_type)):
            await slots.acquire()
            sends.add(asyncio.create_task(send(text)))
        await asyncio.gather(*sends)
    finally:
        for task in sends:
            task.cancel()


def import_location(import_id: str) -> str:
    return api_path(f"imports/{import_id}")


def rejects_location(import_id: str) -> str:
    return f"{import_location(import_id)}/rejects"


def accepted_body(import_id: str, plan: ImportPlan) -> ImportAccepted:
    return ImportAccepted(importId=import_id, records=plan.record_count, messages=plan.messages)


def progress_body(progress: ImportProgress) -> ImportProgressBody:
    """The progress document; it links to the rejects once there are any."""
    body = ImportProgressBody(
        importId=progress.import_id,
        state=progress.state.value,
        accepted=progress.accepted,
        written=progress.written,
        rejected=progress.rejected,
        messages=progress.messages,
        messagesDone=progress.messages_done,
        duplicateDeliveries=progress.duplicate_deliveries,
        createdAt=progress.created_at,
    )
    if progress.rejected:
        body["links"] = ImportLinks(rejects=rejects_location(progress.import_id))
    return body


def rejects_body(page: RejectPage) -> ImportRejects:
    body = ImportRejects(items=page.entries, count=len(page.entries))
    if page.continuation:
        body["continuation"] = page.continuation
    return body


async def start(req: func.HttpRequest) -> tuple[str, ImportPlan]:
    body = read_body(req, limit=MAX_REQUEST_BYTES)
    sent_type = _import_media_type(req)
    import_id = str(uuid.uuid4())
    plan = plan_import(import_id, body, sent_type)
    await progress.start_import(
        import_id=import_id, accepted=plan.record_count, messages=plan.messages
    )
    await _enqueue(import_id, body, sent_type)
    metrics.count_records(plan.record_count, outcome="accepted")
    return import_id, plan

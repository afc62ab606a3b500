"""Turn an import request body (a JSON array or NDJSON of products) into queue messages.

Records are read one at a time from the body, never building the whole list,
and packed into import parts of at most MAX_MESSAGE_JSON_BYTES. Records of one category go into
the same parts, so that the queue function can write them in full transactional batches; at most
one part per category is buffered at a time.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, import_message
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.json_input import JsonInputError, check_depth, iter_array, loads
from shared.platform.limits import NDJSON_MEDIA_TYPE


def _json_array_records(body: bytes) -> Iterator[Any]:
    if not body.lstrip().startswith(b"["):
        raise BadRequestError("Send a JSON array of products, or NDJSON as application/x-ndjson.")
    try:
        yield from iter_array(body)
    except JsonInputError as error:
        raise BadRequestError(f"The body is not a valid JSON array. {error}") from None


def _ndjson_records(body: bytes) -> Iterator[Any]:
    for line_number, line in enumerate(io.BytesIO(body), start=1):
        if line.strip():
            try:
                yield loads(line)
            except JsonInputError as error:
                raise BadRequestError(f"Line {line_number}: {error}") from None


def iter_records(body: bytes, media_type: str) -> Iterator[Any]:
    """The records of an import body, one at a time. Nesting is bounded first, in one linear
    scan, so that no parser pays for depth."""
    try:
        check_depth(body)
    except JsonInputError as error:
        raise BadRequestError(str(error)) from None
    return _ndjson_records(body) if media_type == NDJSON_MEDIA_TYPE else _json_array_records(body)


def _serialized(index: int, record: Any) -> str:
    try:
        return json.dumps(record, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise BadRequestError(f"Record {index} holds NaN or Infinity, which JSON cannot.") from None


def _category_of(record: Any) -> str | None:
    category = record.get("categoryId") if isinstance(record, dict) else None
    return category if isinstance(category, str) else None


@dataclass
class _Buffer:
    serialized: list[str]
    size: int = 0


def pack_messages(import_id: str, records: Iterator[Any]) -> Iterator[str]:
    """Import parts (JSON text) holding every record once, grouped by category, each part small
    enough for a base64 queue message. A record too large for any message is a 413."""
    envelope = len(import_message(import_id, 10**9, []).encode())
    budget = MAX_MESSAGE_JSON_BYTES - envelope
    buffers: dict[str | None, _Buffer] = {}
    part = 0
    for index, record in enumerate(records):
        text = _serialized(index, record)
        size = len(text.encode()) + 1
        if size > budget:
            raise PayloadTooLargeError(f"Record {index} is too large for a queue message.")
        buffer = buffers.setdefault(_category_of(record), _Buffer(serialized=[]))
        if buffer.size + size > budget:
            yield import_message(import_id, part, buffer.serialized)
            part += 1
            buffer.serialized, buffer.size = [], 0
        buffer.serialized.append(text)
        buffer.size += size
    for buffer in buffers.values():
        yield import_message(import_id, part, buffer.serialized)
        part += 1


@dataclass(frozen=True)
class ImportPlan:
    record_count: int
    messages: int


def plan_import(import_id: str, body: bytes, media_type: str) -> ImportPlan:
    """Count records and messages (and validate the body) without keeping either."""
    record_count = 0

    def counted() -> Iterator[Any]:
        nonlocal record_count
        for record in iter_records(body, media_type):
            record_count += 1
            yield record

    messages = sum(1 for _ in pack_messages(import_id, counted()))
    if record_count == 0:
        raise BadRequestError("The import contains no records.")
    return ImportPlan(record_count=record_count, messages=messages)

"""An import body (a JSON array or NDJSON of products) as import parts for the queue.

Records are read one at a time from the body's bytes (`platform.json_stream`) and packed into
parts that fit a queue message, deflated (see `messages`): packing follows bytes, not
categories, so a file with one product per category costs as few messages as any other. Within
a window of WINDOW_BYTES, records of one category are put next to each other (in the order
sent), so that the queue function, which writes a transactional batch per category, finds full
batches; memory is bounded by the window, not the body. A record's JSON text is passed on as
sent; nothing is serialized again, unless it escapes characters that UTF-8 carries as themselves.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from shared.ingest.messages import (
    MAX_MESSAGE_JSON_BYTES,
    MAX_PART_JSON_BYTES,
    MAX_PART_RECORDS,
    deflated_import_message,
    import_message,
)
from shared.ingest.supersession import ItemKey, item_key
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.json_input import JsonInputError
from shared.platform.json_stream import JsonRecord, RecordError, array_records, ndjson_records
from shared.platform.limits import NDJSON_MEDIA_TYPE
from shared.platform.utf8_json import compact_json

WINDOW_BYTES = 1024 * 1024
WINDOW_RECORDS = 4_096  # and so few that grouping them never holds the event loop long


def import_records(body: bytes, media_type: str) -> Iterator[JsonRecord]:
    """The records of an import body, one at a time; a body that cannot be read is a 400."""
    try:
        if media_type == NDJSON_MEDIA_TYPE:
            yield from ndjson_records(body)
        else:
            yield from array_records(body)
    except JsonInputError as error:
        line = error.line if isinstance(error, RecordError) else None
        raise BadRequestError(
            f"The body cannot be read as an import. {error}",
            extensions={} if line is None else {"line": line},  # for the client to find it
        ) from None


def unescaped_text(record: JsonRecord) -> str:
    """The record's text as sent, unless it escapes characters (`\\u00e9` for é): then its
    compact UTF-8 JSON, which is how it is measured, carried and written (a 24 KB record of CJK
    text is 48 KB of escapes). Its numbers were read exactly (`json_numbers`), so writing them
    again changes none."""
    text = record.text
    return compact_json(record.value) if "\\u" in text else text


def utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class PackedPart:
    """A part ready for the queue: its number, its message, and its records in order, each as
    its number in the body and its item key."""

    number: int
    text: str
    records: list[tuple[int, ItemKey | None]]


# The records of one part, in order, as gathered for `PartPacker.pack`: each one's number in the
# body, its item key and its JSON text.
Gathered = list[tuple[int, ItemKey | None, str]]

# zlib's default level: a third fewer messages than level 1 for about twice its CPU, which the
# queue's per-message cost repays many times over.
DEFLATE_LEVEL = 6
# Before the first part of an import has shown how its records deflate.
FIRST_RATIO = 3.0
# How full of deflated bytes a part is aimed at: a part that turns out too large is split.
FILL = 0.9


@dataclass
class PartPacker:
    """Packs records' JSON text into numbered parts of one import, in the order given. A part
    gathers records until their JSON would deflate to about a full message (by the ratio the
    import's previous part showed), then goes as a deflated part, or as a plain one when that
    is smaller; a part that does not fit is split in two."""

    import_id: str
    records: int = 0
    parts: int = 0
    _waiting: Gathered = field(default_factory=list)
    _size: int = 0
    _ratio: float = FIRST_RATIO
    _plain_budget: int = 0
    _deflated_budget: int = 0

    def __post_init__(self) -> None:
        plain_envelope = len(import_message(self.import_id, 10**9, []).encode())
        self._plain_budget = MAX_MESSAGE_JSON_BYTES - plain_envelope
        deflated_envelope = len(deflated_import_message(self.import_id, 10**9, b""))
        # base64 makes 4 characters of every 3 bytes, the last 1 or 2 bytes too
        self._deflated_budget = (MAX_MESSAGE_JSON_BYTES - deflated_envelope) // 4 * 3

    def add(self, number: int, key: ItemKey | None, text: str) -> Gathered | None:
        """Take the next record; returns the records of the part it completed, if any, for
        `pack`. A record too large for a plain queue message is a 413."""
        size = utf8_length(text) + 1  # and its comma
        if size > self._plain_budget:
            raise PayloadTooLargeError(
                f"Record {self.records} is {size - 1} bytes of JSON; a record of an import may "
                f"be at most {self._plain_budget - 1}."
            )
        full = self._size + size > self._target or len(self._waiting) == MAX_PART_RECORDS
        finished = self._take() if self._waiting and full else None
        self._waiting.append((number, key, text))
        self._size += size
        self.records += 1
        return finished

    def finish(self) -> Gathered | None:
        """The records of the last part, if any record is still waiting."""
        return self._take() if self._waiting else None

    def pack(self, gathered: Gathered) -> list[PackedPart]:
        """The parts that carry `gathered`, numbered in turn. Most of its time is zlib's,
        which releases the GIL: the intake runs it in a worker thread, beside the event loop.
        Parts must be packed in the order they were gathered, one at a time."""
        return list(self._packed(gathered))

    @property
    def _target(self) -> int:
        aimed = int(self._deflated_budget * self._ratio * FILL)
        return min(MAX_PART_JSON_BYTES - 2, max(self._plain_budget, aimed))

    def _take(self) -> Gathered:
        waiting, self._waiting, self._size = self._waiting, [], 0
        return waiting

    def _packed(self, waiting: Gathered) -> Iterator[PackedPart]:
        texts = [text for _, _, text in waiting]
        array = f"[{','.join(texts)}]".encode()
        deflated = zlib.compress(array, DEFLATE_LEVEL)
        self._ratio = len(array) / len(deflated)
        if len(deflated) <= self._deflated_budget and len(deflated) < len(array):
            text = deflated_import_message(self.import_id, self.parts, deflated)
        elif len(array) - 2 <= self._plain_budget:
            text = import_message(self.import_id, self.parts, texts)
        else:
            half = len(waiting) // 2
            yield from self._packed(waiting[:half])
            yield from self._packed(waiting[half:])
            return
        self.parts += 1
        yield PackedPart(self.parts - 1, text, [(number, key) for number, key, _ in waiting])


# A record waiting in a window: its number in the body, its category, its item key (see
# `supersession.item_key`) and its JSON text. A plain tuple of strings and ints, which the
# garbage collector stops tracking: a window of parsed dicts would make every collection of the
# oldest generation walk them all, holding the event loop for tens of milliseconds.
WindowEntry = tuple[int, str, ItemKey | None, str]


@dataclass
class CategoryWindow:
    """Records gathered up to WINDOW_BYTES (or WINDOW_RECORDS), given back grouped by
    category, in the order sent within each."""

    limit: int = WINDOW_BYTES
    records_limit: int = WINDOW_RECORDS
    _entries: list[WindowEntry] = field(default_factory=list)
    _categories: dict[str, str] = field(default_factory=dict)  # one string per category
    _size: int = 0

    def add(self, number: int, record: JsonRecord) -> None:
        value = record.value
        category = value.get("categoryId") if isinstance(value, dict) else None
        category = (
            self._categories.setdefault(category, category) if isinstance(category, str) else ""
        )
        text = unescaped_text(record)
        self._entries.append((number, category, item_key(value), text))
        self._size += len(text)

    @property
    def full(self) -> bool:
        return self._size >= self.limit or len(self._entries) >= self.records_limit

    def drain(self) -> list[WindowEntry]:
        entries = sorted(self._entries, key=itemgetter(1))
        self._entries, self._categories, self._size = [], {}, 0
        return entries

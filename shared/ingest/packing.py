"""An import body (a JSON array or NDJSON of products) as import parts for the queue.

Records are read one at a time from the body's bytes (`platform.json_stream`) and packed into
parts of at most MAX_MESSAGE_JSON_BYTES of JSON: packing follows bytes, not categories, so a
file with one product per category costs as few messages as any other. Within a window of
WINDOW_BYTES, records of one category are put next to each other (in the order sent), so that
the queue function, which writes a transactional batch per category, finds full batches; memory
is bounded by the window, not the body. A record's JSON text is passed on as sent; nothing is
serialized again, unless it escapes characters that UTF-8 carries as themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from shared.ingest.messages import MAX_MESSAGE_JSON_BYTES, import_message
from shared.ingest.supersession import ItemKey, item_key
from shared.platform.errors import BadRequestError, PayloadTooLargeError
from shared.platform.json_input import JsonInputError
from shared.platform.json_stream import JsonRecord, array_records, ndjson_records
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
        raise BadRequestError(f"The body cannot be read as an import. {error}") from None


def unescaped_text(record: JsonRecord) -> str:
    """The record's text as sent, unless it escapes characters (`\\u00e9` for é): then its
    compact UTF-8 JSON, which is how it is measured, carried and written (a 24 KB record of CJK
    text is 48 KB of escapes). Its numbers were read exactly (`json_numbers`), so writing them
    again changes none."""
    text = record.text
    return compact_json(record.value) if "\\u" in text else text


def utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@dataclass
class PartPacker:
    """Packs records' JSON text into numbered parts of one import, in the order given."""

    import_id: str
    records: int = 0
    parts: int = 0
    _texts: list[str] = field(default_factory=list)
    _size: int = 0
    _budget: int = 0

    def __post_init__(self) -> None:
        envelope = len(import_message(self.import_id, 10**9, []).encode())
        self._budget = MAX_MESSAGE_JSON_BYTES - envelope

    def add(self, text: str) -> str | None:
        """Take the next record; returns the part it completed, if it completed one. A record
        too large for any queue message is a 413."""
        size = utf8_length(text) + 1  # and its comma
        if size > self._budget:
            raise PayloadTooLargeError(
                f"Record {self.records} is {size - 1} bytes of JSON; a record of an import may "
                f"be at most {self._budget - 1}."
            )
        finished = self._flush() if self._size + size > self._budget else None
        self._texts.append(text)
        self._size += size
        self.records += 1
        return finished

    def finish(self) -> str | None:
        """The last part, if any record is still waiting."""
        return self._flush() if self._texts else None

    @property
    def last_placed(self) -> tuple[int, int]:
        """Where the record added last went: its part, and its index within that part."""
        return self.parts, len(self._texts) - 1

    def _flush(self) -> str:
        text = import_message(self.import_id, self.parts, self._texts)
        self.parts += 1
        self._texts, self._size = [], 0
        return text


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

"""The ingestion queue's message format.

A message is JSON, base64-encoded on the queue (the Functions default), in one of four shapes:
an import part, `{"importId": "...", "part": 0, "products": [...]}`, or the same with its
products array deflated, `{"importId": "...", "part": 0, "productsZlib": "<base64>"}` (POST
/api/imports sends either, whichever carries the part); a JSON array of products; or a single
product object.

A deflated part carries the zlib stream (RFC 1950) of its products array's UTF-8 JSON, in
base64. Queue storage's costs are per message, not per byte, and product JSON deflates about
four to one, so one message carries about three times the records. What a part may expand to
is bounded (`MAX_PART_JSON_BYTES`, `MAX_PART_RECORDS`): a small message never becomes a large
amount of work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from shared.platform.json_input import (
    MAX_DEPTH,
    DuplicateMemberError,
    JsonInputError,
    RefusedNumberError,
    loads,
)

# A queue message is at most 64 KiB; base64 makes 4 bytes of 3, so the JSON must stay under 48 KiB.
MAX_MESSAGE_JSON_BYTES = 48 * 1024 - 512  # headroom for the envelope


# A record may nest MAX_DEPTH levels inside the envelope object and its products array.
MAX_MESSAGE_DEPTH = MAX_DEPTH + 2
DEFLATED_PRODUCTS = "productsZlib"
# What a deflated part may expand to: its products array's JSON, and its records.
MAX_PART_JSON_BYTES = 1024 * 1024
MAX_PART_RECORDS = 10_000
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class MalformedMessage(ValueError):
    """The message is not JSON or not one of the accepted shapes."""


@dataclass(frozen=True)
class IngestMessage:
    """A message's products as sent (not yet validated), and which import part it is."""

    raw_records: list[Any]
    import_id: str | None = None
    part: int | None = None
    # An import part's message as it came, digested: another message under the same import and
    # part number is not that part.
    digest: str | None = None
    # Whether a record may hold a marked refused number: only then need records be walked.
    may_hold_refused_numbers: bool = True


def _inflated(encoded: object) -> tuple[Any, bool]:
    """The products array of a deflated part, and whether it was read marking refused numbers."""
    if not isinstance(encoded, str):
        raise MalformedMessage(f"{DEFLATED_PRODUCTS} must be a base64 string")
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(encoded, validate=True), MAX_PART_JSON_BYTES)
    except (ValueError, zlib.error):  # binascii.Error is one; so is a non-ASCII string
        raise MalformedMessage(f"{DEFLATED_PRODUCTS} is not a base64 zlib stream") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise MalformedMessage(
            f"{DEFLATED_PRODUCTS} is cut short or expands beyond {MAX_PART_JSON_BYTES:,} bytes"
        )
    if inflater.unused_data:
        raise MalformedMessage(f"{DEFLATED_PRODUCTS} holds data after its zlib stream")
    try:
        return _parsed(data, max_depth=MAX_DEPTH + 1)
    except JsonInputError as error:
        raise MalformedMessage(f"{DEFLATED_PRODUCTS} is not valid JSON: {error}") from None


def _import_envelope(data: dict[str, Any], marked: bool, digest: str) -> IngestMessage:
    import_id, part = data.get("importId"), data.get("part")
    if "products" in data:
        products = data["products"]
    else:
        products, marked = _inflated(data[DEFLATED_PRODUCTS])
        if isinstance(products, list) and len(products) > MAX_PART_RECORDS:
            raise MalformedMessage(f"a deflated part holds at most {MAX_PART_RECORDS:,} records")
    if not isinstance(products, list):
        raise MalformedMessage("products must be a JSON array")
    if import_id is not None and not (isinstance(import_id, str) and _UUID.fullmatch(import_id)):
        # what the API issues; anything else would reach the logs and a partition key as sent
        raise MalformedMessage("importId must be an import's id (a UUID)")
    if part is not None and (not isinstance(part, int) or isinstance(part, bool) or part < 0):
        raise MalformedMessage("part must be a non-negative integer")
    return IngestMessage(
        raw_records=products,
        import_id=import_id,
        part=part,
        may_hold_refused_numbers=marked,
        digest=digest,
    )


def _parsed(body: bytes, *, max_depth: int = MAX_MESSAGE_DEPTH) -> tuple[Any, bool]:
    """The message's JSON, and whether it was read marking refused numbers (it holds one)."""
    try:
        return loads(body, max_depth=max_depth), False
    except (RefusedNumberError, DuplicateMemberError):
        return loads(body, max_depth=max_depth, mark_refused_numbers=True), True


def parse_message(body: bytes) -> IngestMessage:
    """The message's records. Numbers Cosmos DB would not store as sent (NaN, an integer beyond
    2^53 - 1, ...) and objects naming a member twice are marked rather than refused, so that
    only the records holding them are rejected. Read strictly first: a message without any
    such value, the usual one, needs no search for marks."""
    try:
        data, marked = _parsed(body)
    except JsonInputError as error:
        raise MalformedMessage(f"message is not valid JSON: {error}") from None
    if isinstance(data, list):
        return IngestMessage(raw_records=data, may_hold_refused_numbers=marked)
    if isinstance(data, dict) and ("products" in data or DEFLATED_PRODUCTS in data):
        return _import_envelope(data, marked, hashlib.sha256(body).hexdigest())
    if isinstance(data, dict):
        return IngestMessage(raw_records=[data], may_hold_refused_numbers=marked)
    raise MalformedMessage("message must be a product, an array of products or an import part")


def import_message(import_id: str, part: int, serialized_records: list[str]) -> str:
    """The JSON text of one import part from already-serialized records."""
    envelope = json.dumps({"importId": import_id, "part": part})[:-1]
    return f'{envelope}, "products": [{",".join(serialized_records)}]}}'


def deflated_import_message(import_id: str, part: int, deflated_products: bytes) -> str:
    """The JSON text of one import part whose products array's JSON was deflated (zlib)."""
    encoded = base64.b64encode(deflated_products).decode("ascii")
    return json.dumps({"importId": import_id, "part": part, DEFLATED_PRODUCTS: encoded})

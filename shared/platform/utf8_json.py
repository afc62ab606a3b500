"""JSON as it travels: compact, in UTF-8, non-ASCII text as itself rather than `\\uXXXX`.

The Cosmos client writes items this way (`enable_compact_utf8_item_writes`), and Cosmos DB counts
an item's size this way (its 2 MB limit is the UTF-8 length of the item's JSON), so sizes are
measured here, on the same text: escaped, accented Latin text takes three times its size and
CJK twice. A lone surrogate, which UTF-8 cannot carry, stays a `\\uXXXX` escape, as the SDK
sends it.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core


def compact_json(value: Any) -> str:
    """`value` as compact JSON text that encodes to UTF-8."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, the one way JSON can carry it
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def utf8_size(value: Any) -> int:
    """Bytes of `value`'s JSON as the Cosmos client sends it and Cosmos DB counts it."""
    text = compact_json(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def estimated_utf8_size(value: Any) -> int:
    """`utf8_size`, eight times faster and within a few bytes: pydantic's serializer writes the
    same compact UTF-8 JSON but for a float's exponent (`1e-7` where Python writes `1e-07`).
    Good for packing batches, which keep far from their limit; `utf8_size` decides limits."""
    try:
        return len(pydantic_core.to_json(value))
    except (TypeError, ValueError, pydantic_core.PydanticSerializationError):
        return utf8_size(value)  # a lone surrogate, or a value JSON cannot carry

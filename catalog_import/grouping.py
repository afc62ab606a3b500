"""Records regrouped by category within a span of the file, for fuller transactional batches.

The queue function writes one transactional batch per category of each part, so what fills its
batches is how many records of one category a request holds together. The API groups a request
by category, but a 4 MiB request of a file that interleaves 1,000 categories still holds only
about twenty records of each: twenty records per Cosmos DB round trip instead of up to a hundred.
Reading a larger span of the file (32 MiB by default) and giving its records back category by
category gives the requests of that span fewer categories, each with more records.

Within a category, records keep their order, so two occurrences of one product (the same
`categoryId` and `id`) stay in the order of the file. A record whose category cannot be read
is passed on in a group of its own, for the API to reject with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

DEFAULT_SPAN_BYTES = 32 * 1024 * 1024


def category_of(record: bytes) -> str | None:
    """The record's `categoryId` if it is a string (the reader has checked that it is JSON)."""
    value = json.loads(record)
    category = value.get("categoryId") if isinstance(value, dict) else None
    return category if isinstance(category, str) else None


def grouped_by_category(records: Iterator[bytes], *, span_bytes: int) -> Iterator[bytes]:
    """`records`, read `span_bytes` at a time, each span given back category by category (in
    the order each category first appears in it). A span of 0 passes records on as they come."""
    if span_bytes <= 0:
        yield from records
        return
    while True:
        groups: dict[str | None, list[bytes]] = {}
        size = 0
        for record in records:
            groups.setdefault(category_of(record), []).append(record)
            size += len(record) + 1
            if size >= span_bytes:
                break
        if not groups:
            return
        for group in groups.values():
            yield from group
        if size < span_bytes:
            return

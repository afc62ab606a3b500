"""Limits that Cosmos DB and the Functions host set, and the media types the service speaks:
each defined once, here, for every layer to import."""

from __future__ import annotations

from typing import Final

# Cosmos DB: operations in one transactional batch, and the largest item and request, counted
# as the UTF-8 length of their JSON (`utf8_json`).
MAX_BATCH_OPERATIONS: Final = 100
MAX_ITEM_BYTES: Final = 2 * 1024 * 1024
# The largest JSON body of a product, patch or batch request. Cosmos DB counts an item in UTF-8,
# but many JSON libraries send non-ASCII text escaped (\u00e9 for é: three times its UTF-8 size),
# so a body may be three times the item limit; the item itself is measured before it is sent.
MAX_JSON_BODY_BYTES: Final = 3 * MAX_ITEM_BYTES
# The Functions host's own request size limit.
MAX_REQUEST_BYTES: Final = 100 * 1024 * 1024
# The largest import request: what one request is taken in within HTTP_TIMEOUT_SECONDS on a
# small instance (README, Limits; `make bench` measures it).
MAX_IMPORT_BYTES: Final = 16 * 1024 * 1024
# And at most this many records in it: a body of tiny records costs per record, not per byte.
MAX_IMPORT_RECORDS: Final = 250_000

JSON_MEDIA_TYPE: Final = "application/json"
NDJSON_MEDIA_TYPE: Final = "application/x-ndjson"

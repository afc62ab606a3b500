"""The service's metrics, recorded where things happen; no-ops when telemetry is off.

Names: `azure.cosmosdb.client.operation.request_charge` (the semantic conventions' histogram of
request units per Cosmos DB operation) and `catalog.*` for the service's own counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from azure.cosmos.exceptions import CosmosClientTimeoutError

from shared.platform import conventions
from shared.platform.errors import THROTTLED_STATUS
from shared.platform.telemetry import instruments

UNAVAILABLE, REQUEST_TIMEOUT = 503, 408
TIMEOUT = "timeout"
# What a call that got no answer in time raises (asyncio.TimeoutError is TimeoutError).
TIMEOUT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, CosmosClientTimeoutError)
_RESOURCE = re.compile(r"/dbs/(?P<db>[^/]+)(?:/colls/(?P<coll>[^/]+))?(?P<rest>.*)")
_ITEM_VERBS = {"GET": "read", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}


def cosmos_operation(method: str, url: str, headers: Mapping[str, str]) -> dict[str, str]:
    """The semantic-convention attributes of one Cosmos DB request: the operation's name, the
    database and the container."""
    match = _RESOURCE.match(urlsplit(url).path)
    attributes = {conventions.DB_SYSTEM_NAME: conventions.DB_SYSTEM_AZURE_COSMOSDB}
    if match is None:
        attributes[conventions.DB_OPERATION_NAME] = f"{method.lower()} account"
        return attributes
    attributes[conventions.DB_NAMESPACE] = match["db"]
    if match["coll"]:
        attributes[conventions.DB_COLLECTION_NAME] = match["coll"]
    attributes[conventions.DB_OPERATION_NAME] = _operation_name(
        method, match["rest"] or "", headers
    )
    return attributes


def _operation_name(method: str, rest: str, headers: Mapping[str, str]) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    if not rest.startswith("/docs"):
        resource = rest.strip("/").split("/")[0] or "container"
        return f"{method.lower()} {resource}"
    if lowered.get("x-ms-cosmos-is-batch-request", "").lower() == "true":
        return "execute_batch"
    if lowered.get("x-ms-documentdb-isquery", "").lower() == "true":
        return "query_items"
    if method == "POST":
        upsert = lowered.get("x-ms-documentdb-is-upsert", "").lower() == "true"
        return "upsert_item" if upsert else "create_item"
    if method == "GET" and rest.rstrip("/") == "/docs":
        return "read_all_items"
    return f"{_ITEM_VERBS.get(method, method.lower())}_item"


def record_cosmos_response(
    *, charge: float, status: int, method: str, url: str, headers: Mapping[str, str]
) -> None:
    """One Cosmos DB response: its request charge, and a transient failure if it was one."""
    recorded = instruments()
    if recorded is None:
        return
    attributes = {
        **cosmos_operation(method, url, headers),
        conventions.DB_RESPONSE_STATUS_CODE: str(status),
    }
    recorded.request_charge.record(charge, attributes)
    if status in (THROTTLED_STATUS, UNAVAILABLE):
        recorded.transient_failures.add(1, {conventions.ERROR_TYPE: str(status)})
    elif status == REQUEST_TIMEOUT:
        recorded.transient_failures.add(1, {conventions.ERROR_TYPE: TIMEOUT})


def count_timeout() -> None:
    """A Cosmos DB call that got no answer in time."""
    if (recorded := instruments()) is not None:
        recorded.transient_failures.add(1, {conventions.ERROR_TYPE: TIMEOUT})


def count_if_timeout(error: BaseException) -> None:
    """Count `error` as a timeout if it is one (a failure met while writing or serving)."""
    if isinstance(error, TIMEOUT_ERRORS):
        count_timeout()


def count_records(count: int, *, outcome: str) -> None:
    """Records `accepted` by an import, `written` or `rejected` by ingestion."""
    if (recorded := instruments()) is not None and count:
        recorded.records.add(count, {"catalog.record.outcome": outcome})


def record_batch(operations: int) -> None:
    """A transactional batch the bulk executor sent, by its number of operations."""
    if (recorded := instruments()) is not None:
        recorded.batch_operations.record(operations)


def count_message_retried() -> None:
    """A queue message handed back to the queue to be delivered again."""
    if (recorded := instruments()) is not None:
        recorded.messages_retried.add(1)


def record_import_duration(seconds: float) -> None:
    """An import finished: seconds from its start to its last part counted."""
    if (recorded := instruments()) is not None:
        recorded.import_duration.record(seconds)


def _partition(range_id: str) -> dict[str, str]:
    return {"catalog.ingest.partition_key_range": range_id}


def record_window(range_id: str, window: float) -> None:
    """A physical partition's congestion window, after it was reduced."""
    if (recorded := instruments()) is not None:
        recorded.congestion_window.record(window, _partition(range_id))


def count_throttled(range_id: str) -> None:
    """A bulk batch throttled (429) in a physical partition."""
    if (recorded := instruments()) is not None:
        recorded.throttled_batches.add(1, _partition(range_id))


def record_pause(range_id: str, seconds: float) -> None:
    """A physical partition paused for the retry-after Cosmos DB gave."""
    if (recorded := instruments()) is not None:
        recorded.partition_pauses.record(seconds, _partition(range_id))

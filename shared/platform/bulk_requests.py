"""What every bulk write sends with its requests, so that Cosmos DB serves people first.

Bulk writes (the executor's batches, stored rejects, the import progress the queue function
counts) go with `BULK_PRIORITY` (low by default): when a partition is at its budget, Cosmos DB
throttles them before the HTTP routes' requests, which carry no priority and so are high, the
account's default. With `BULK_THROUGHPUT_BUCKET`, they also go in that throughput bucket, whose
share of the container's RU/s Cosmos DB enforces for every client: a cap that holds across any
number of function instances without a coordinator. Both need the account's features (see the
README, Deploy to Azure); without them Cosmos DB ignores the headers.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from shared.platform.settings import Settings, get_settings


class BulkRequestOptions(TypedDict, total=False):
    """The azure-cosmos keyword arguments of a bulk write's requests."""

    priority: Literal["High", "Low"]
    throughput_bucket: int


def bulk_request_options(settings: Settings | None = None) -> BulkRequestOptions:
    """The priority and the throughput bucket (if any) bulk writes are sent with."""
    settings = settings or get_settings()
    options = BulkRequestOptions(priority="Low" if settings.bulk_priority == "low" else "High")
    if settings.bulk_throughput_bucket is not None:
        options["throughput_bucket"] = settings.bulk_throughput_bucket
    return options

"""Throughput buckets on a container, configured as Cosmos DB keeps them: in the container's offer,
`content.throughputBuckets`, one `{"id": 1-5, "maxThroughputPercentage": 1-100}` per bucket.

azure-cosmos reads and replaces offers (`get_throughput`, `replace_throughput`) but has no
parameter for buckets, so the offer it read is replaced whole with the buckets added, through the
same offer call `replace_throughput` makes. In Azure, buckets are set in the portal (Scale &
Settings, Throughput Buckets) or with `az cosmosdb sql container throughput update
--throughput-buckets`; see the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.cosmos import ContainerProxy


def set_throughput_buckets(container: ContainerProxy, percentages: Mapping[int, int]) -> Any:
    """Give `container` the throughput buckets `{bucket id: max percentage of its RU/s}` (an
    empty mapping removes them); the offer as the endpoint answers it."""
    offer = dict(container.get_throughput().properties or {})
    buckets = [{"id": bucket, "maxThroughputPercentage": p} for bucket, p in percentages.items()]
    offer["content"] = {**offer["content"], "throughputBuckets": buckets}
    return container.client_connection.ReplaceOffer(offer_link=offer["_self"], offer=offer)

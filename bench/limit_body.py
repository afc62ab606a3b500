"""One import body at the documented limit, and what merely carrying that body costs.

The body is NDJSON of exactly `MAX_IMPORT_BYTES` (at most `MAX_IMPORT_RECORDS` records). It is
POSTed to /api/imports on a fresh host (its own queue, so that no other host takes its parts,
and its queue function running as it would); the floor is the same body POSTed to
/api/products, which answers 413, on another fresh host. Each host first serves one small
request to the same route (one product: 201, or an import of one record, seen to its end), then
its peak RSS is reset, and the growth is its peak during the request over what it held just
before. Fresh processes, interleaved, `RUNS` of each; medians reported.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from bench import pipeline
from bench.procfs import megabytes, peak_resident, reset_peak, resident
from bench.workload import tagged_products
from devtools.stack import LocalStack
from shared.platform.limits import (
    JSON_MEDIA_TYPE,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_RECORDS,
    NDJSON_MEDIA_TYPE,
)
from shared.platform.settings import Settings

RUNS = 3
CATEGORIES = 1_000
SEED = 9
LAST_RECORD_ROOM = 1_000  # kept free for the last record, padded to end the body at the limit
WARM_UP_SECONDS = 30
HTTP_TIMEOUT_SECONDS = float(Settings.model_fields["http_timeout_seconds"].default)


@dataclass(frozen=True, kw_only=True)
class Post:
    """One POST of the body to a fresh host."""

    route: str
    status: int
    seconds: float
    resident_before: int
    peak: int

    @property
    def growth(self) -> int:
        return self.peak - self.resident_before


@dataclass(frozen=True, kw_only=True)
class BodyAtLimit:
    body_bytes: int
    records: int
    imports: list[Post]
    floor: list[Post]

    def median(self, posts: list[Post], figure: Callable[[Post], float]) -> float:
        return statistics.median(figure(post) for post in posts)

    @property
    def excess(self) -> float:
        """Median growth of an import beyond the floor's; the issue bounds it by one body."""
        growth = self.median(self.imports, lambda p: p.growth)
        return growth - self.median(self.floor, lambda p: p.growth)

    def to_json(self) -> dict[str, Any]:
        def posts(runs: list[Post]) -> dict[str, Any]:
            return {
                "runs": [{**asdict(p), "growth": p.growth} for p in runs],
                "medianSeconds": round(self.median(runs, lambda p: p.seconds), 2),
                "medianGrowthBytes": self.median(runs, lambda p: p.growth),
            }

        return {
            "bodyBytes": self.body_bytes,
            "records": self.records,
            "httpTimeoutSeconds": HTTP_TIMEOUT_SECONDS,
            "imports": posts(self.imports),
            "floor": posts(self.floor),
            "excessOverFloorBytes": self.excess,
            "withinOneBodyOfTheFloor": self.excess <= self.body_bytes,
        }


def body_at_limit(
    *, max_bytes: int = MAX_IMPORT_BYTES, max_records: int = MAX_IMPORT_RECORDS
) -> tuple[bytes, int]:
    """NDJSON of exactly `max_bytes` (fewer when `max_records` binds first), and its records."""
    lines: list[bytes] = []
    size = 0
    for product in tagged_products(max_records, categories=CATEGORIES, seed=SEED):
        line = json.dumps(product).encode() + b"\n"
        if size + len(line) > max_bytes - LAST_RECORD_ROOM:
            lines.append(_padded(product, max_bytes - size))
            break
        lines.append(line)
        size += len(line)
    return b"".join(lines), len(lines)


def _padded(product: dict[str, Any], size: int) -> bytes:
    """`product` as one NDJSON line of `size` bytes, with a note of spaces as filler."""
    bare = len(json.dumps({**product, "note": ""}).encode()) + 1
    return json.dumps({**product, "note": " " * max(size - bare, 0)}).encode() + b"\n"


def _delete_queue(stack: LocalStack, name: str) -> None:
    """Drop the parts no host will take (the floor's host never made its queue)."""
    with contextlib.suppress(ResourceNotFoundError):
        QueueClient.from_connection_string(stack.storage_connection, name).delete_queue()


def _fresh_record(body: bytes) -> bytes:
    """The body's first record under a new id: every warm-up creates a product of its own."""
    first = json.loads(body[: body.index(b"\n")])
    return json.dumps({**first, "id": str(uuid.uuid4())}).encode() + b"\n"


def _warm_up(api: str, *, route: str, record: bytes, content_type: str) -> None:
    """One small request to the route, seen through: modules, clients and (for an import) the
    queue function are loaded before the peak is reset, so the growth is the body's own."""
    answer = requests.post(
        f"{api}/{route}", data=record, headers={"content-type": content_type}, timeout=60
    )
    answer.raise_for_status()
    if answer.status_code != HTTPStatus.ACCEPTED:
        return
    progress = urljoin(api, answer.headers["Location"])
    deadline = time.monotonic() + WARM_UP_SECONDS
    while requests.get(progress, timeout=30).json()["state"] == "running":
        if time.monotonic() > deadline:
            raise RuntimeError(f"the warm-up import did not end within {WARM_UP_SECONDS} s")
        time.sleep(0.1)


def _post(api: str, pid: int, *, route: str, body: bytes, content_type: str) -> Post:
    before = resident(pid)
    reset_peak(pid)
    started = time.perf_counter()
    answer = requests.post(
        f"{api}/{route}", data=body, headers={"content-type": content_type}, timeout=300
    )
    seconds = time.perf_counter() - started
    return Post(route=route, status=answer.status_code, seconds=seconds, resident_before=before,
                peak=peak_resident(pid))  # fmt: skip


def post_once(stack: LocalStack, *, route: str, body: bytes, content_type: str) -> Post:
    """POST `body` to `route` on a fresh host with a queue of its own, warmed up first."""
    queue = f"bench-limit-{time.monotonic_ns()}"
    host = pipeline.extra_host(stack, "devhost-limit-body", {"INGEST_QUEUE": queue})
    api = host.start().group(1)
    try:
        _warm_up(api, route=route, record=_fresh_record(body), content_type=content_type)
        return _post(api, pipeline.pid_of(host), route=route, body=body, content_type=content_type)
    finally:
        host.stop()
        _delete_queue(stack, queue)


def measure(stack: LocalStack) -> BodyAtLimit:
    body, records = body_at_limit()
    imports: list[Post] = []
    floor: list[Post] = []
    for _ in range(RUNS):  # interleaved, so that drift on a shared machine hits both alike
        floor.append(post_once(stack, route="products", body=body, content_type=JSON_MEDIA_TYPE))
        imports.append(post_once(stack, route="imports", body=body, content_type=NDJSON_MEDIA_TYPE))
    return BodyAtLimit(body_bytes=len(body), records=records, imports=imports, floor=floor)


def table(result: BodyAtLimit) -> str:
    rows = [
        "| POST | statuses | median seconds | median peak RSS growth | growth per run |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    shown = (("/api/imports", result.imports), ("/api/products (the floor)", result.floor))
    for label, posts in shown:
        statuses = ", ".join(str(p.status) for p in posts)
        seconds = result.median(posts, lambda p: p.seconds)
        growth = megabytes(int(result.median(posts, lambda p: p.growth)))
        runs = ", ".join(megabytes(p.growth) for p in posts)
        rows.append(f"| {label} | {statuses} | {seconds:.2f} | {growth} | {runs} |")
    return "\n".join(rows)

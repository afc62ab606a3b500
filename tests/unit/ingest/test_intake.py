"""An import body is taken in in one pass that shares the event loop and bounds its sends."""

from __future__ import annotations

import asyncio
import gc
import json
import time

import pytest

from shared.ingest import intake
from shared.ingest.messages import parse_message
from shared.platform.errors import BadRequestError, PayloadTooLargeError, ServiceUnavailableError
from shared.platform.limits import JSON_MEDIA_TYPE
from tests.factories import IMPORT_ID, catalog


class FakeQueue:
    """Takes sends after a delay like a real queue's, counting how many are in flight at once."""

    def __init__(self, *, fail_at: int | None = None) -> None:
        self.messages: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_at = fail_at

    async def send(self, queue: str, text: str) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.02)
            if self.fail_at is not None and len(self.messages) >= self.fail_at:
                raise ConnectionError("queue unreachable")
            self.messages.append(text)
        finally:
            self.in_flight -= 1


def take_in(body: bytes, queue: FakeQueue, monkeypatch: pytest.MonkeyPatch) -> intake.Intake:
    monkeypatch.setattr(intake.queues, "send", queue.send)
    return asyncio.run(
        intake.enqueue_parts(
            import_id=IMPORT_ID,
            body=body,
            media_type=JSON_MEDIA_TYPE,
            queue="q",
        )
    )


def test_every_record_is_sent_once_in_parts_with_bounded_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    products = catalog(5000, categories=7)
    queue = FakeQueue()
    taken = take_in(json.dumps(products).encode(), queue, monkeypatch)
    parts = sorted((parse_message(m.encode()) for m in queue.messages), key=lambda p: p.part or 0)
    sent = [record for part in parts for record in part.raw_records]
    assert sorted(sent, key=lambda p: p["id"]) == sorted(products, key=lambda p: p["id"])
    assert (taken.records, taken.messages) == (5000, len(queue.messages))
    assert 1 < queue.most_in_flight <= intake.SEND_CONCURRENCY


class LoopWatch:
    """Measures how long the event loop goes between turns of a task that only yields, in CPU
    time of the loop's thread (a busy machine's scheduling is not the code's doing), less the
    time the garbage collector took meanwhile (a collection of the oldest generation walks the
    whole process, whatever code happens to trigger it)."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.collecting = 0.0
        self._started = 0.0

    def on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.collecting += time.thread_time() - self._started

    async def watch(self, done: asyncio.Event) -> None:
        gc.callbacks.append(self.on_collection)
        try:
            last, collected = time.thread_time(), self.collecting
            while not done.is_set():
                await asyncio.sleep(0)
                now = time.thread_time()
                self.gaps.append(now - last - (self.collecting - collected))
                last, collected = now, self.collecting
        finally:
            gc.callbacks.remove(self.on_collection)


def test_the_event_loop_keeps_serving_others_while_a_large_body_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = json.dumps([{"categoryId": "c", "name": "n", "price": 1}] * intake.MAX_IMPORT_RECORDS)
    body = body.encode()
    monkeypatch.setattr(intake.queues, "send", FakeQueue().send)
    watch = LoopWatch()

    async def both() -> None:
        done = asyncio.Event()
        watching = asyncio.create_task(watch.watch(done))
        await intake.enqueue_parts(
            import_id=IMPORT_ID,
            body=body,
            media_type=JSON_MEDIA_TYPE,
            queue="q",
        )
        done.set()
        await watching

    asyncio.run(both())
    assert len(watch.gaps) > 100
    assert max(watch.gaps) < 0.05


def test_the_first_failed_send_fails_the_intake_as_503_naming_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(intake.IntakeFailed) as raised:
        take_in(json.dumps(catalog(5000, categories=3)).encode(), FakeQueue(fail_at=2), monkeypatch)
    assert isinstance(raised.value.error, ServiceUnavailableError)
    assert "ingestion queue" in raised.value.error.detail
    assert isinstance(raised.value.__cause__, ConnectionError)
    assert raised.value.parts_sent >= 2


def test_an_import_without_records_is_a_bad_request(monkeypatch: pytest.MonkeyPatch) -> None:
    queue = FakeQueue()
    with pytest.raises(intake.IntakeFailed) as raised:
        take_in(b" [ ] ", queue, monkeypatch)
    assert isinstance(raised.value.error, BadRequestError) and "no records" in str(raised.value)
    assert queue.messages == [] and raised.value.parts_sent == 0


def test_duplicates_are_found_across_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    products = catalog(3000, categories=3)
    body = json.dumps([*products, products[0]]).encode()
    taken = take_in(body, FakeQueue(), monkeypatch)
    assert taken.superseded_count == 1
    ((part, (entry,)),) = taken.superseded.items()
    assert (part, entry.index, entry.by_record) == (0, 0, 3000)


def test_a_body_of_more_records_than_a_request_may_hold_is_413(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intake, "MAX_IMPORT_RECORDS", 1000)
    with pytest.raises(intake.IntakeFailed) as raised:
        take_in(b"[" + b",".join([b"{}"] * 1001) + b"]", FakeQueue(), monkeypatch)
    assert isinstance(raised.value.error, PayloadTooLargeError)
    assert "at most 1,000 records" in str(raised.value)
    take_in(b"[" + b",".join([b"{}"] * 1000) + b"]", FakeQueue(), monkeypatch)

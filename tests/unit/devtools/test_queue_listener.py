"""The development host's queue trigger as the Functions host behaves: a message being processed
stays invisible (its lease renewed at every half lease, the latest pop receipt kept for the end),
and a message that is not valid base64 goes to poison at once. Fake queues, a fake worker and a
clock that moves only when slept on: no storage, no waiting."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from typing import Any

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.storage.queue import QueueMessage, StorageErrorCode

from devtools.devhost.config import QueueOptions
from devtools.devhost.functions import QueueFunction
from devtools.devhost.queue_listener import MessageLease, QueueListener


def storage_error(status: int, code: str) -> HttpResponseError:
    error = HttpResponseError(message=f"{status} {code}")
    error.status_code = status
    error.error_code = code  # type: ignore[attr-defined]  # the storage SDK sets it the same way
    return error


def received(content: str = "", *, dequeue_count: int = 1) -> QueueMessage:
    """A message as `receive_messages` gives it, with pop receipt r0."""
    return QueueMessage(content=content, id="m1", dequeue_count=dequeue_count, pop_receipt="r0")


class FakeClock:
    """`asyncio.sleep` on a clock that moves only when slept on. The invocation it serves ends at
    `ends_at`: a sleep past that parks (the invocation ends first) and sets `ended`."""

    def __init__(self, ends_at: float = float("inf")) -> None:
        self.now = 0.0
        self.ends_at = ends_at
        self.sleeps: list[float] = []
        self.ended = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.now + seconds > self.ends_at:
            self.ended.set()
            await asyncio.Event().wait()
        self.now += seconds
        await asyncio.sleep(0)


class FakeQueue:
    """Records updates, deletes and sends. Each successful update hands out the next pop receipt
    (r1, r2, ...); `failures` are raised by the first updates, one each; `gate`, when given,
    holds every update until it is set."""

    queue_name = "orders"

    def __init__(
        self, *, failures: list[BaseException] | None = None, gate: asyncio.Event | None = None
    ) -> None:
        self.updates: list[tuple[str, str, int]] = []
        self.deletes: list[tuple[str, str]] = []
        self.sent: list[str] = []
        self.failures = list(failures or [])
        self.delete_failure: BaseException | None = None
        self.gate = gate
        self.receipts = 0

    async def update_message(
        self, message: str, pop_receipt: str, *, visibility_timeout: int, **options: Any
    ) -> QueueMessage:
        self.updates.append((message, pop_receipt, visibility_timeout))
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.receipts += 1
        return QueueMessage(id=message, pop_receipt=f"r{self.receipts}")

    async def delete_message(self, message: str, pop_receipt: str, **options: Any) -> None:
        self.deletes.append((message, pop_receipt))
        if self.delete_failure is not None:
            raise self.delete_failure

    async def send_message(self, content: str, **options: Any) -> None:
        self.sent.append(content)

    async def create_queue(self, **options: Any) -> None:
        return None


async def settle() -> None:
    """Let every ready task run until all of them wait (the fakes never block on anything else)."""
    for _ in range(50):
        await asyncio.sleep(0)


def hold(queue: FakeQueue, clock: FakeClock, *, lease_seconds: int = 10) -> MessageLease:
    """A lease held for an invocation that lasts until the clock reaches its end."""

    async def invocation() -> MessageLease:
        lease = MessageLease(
            queue, received(), lease=timedelta(seconds=lease_seconds), sleep=clock.sleep
        )
        async with lease:
            await clock.ended.wait()
        return lease

    return asyncio.run(invocation())


def test_a_lease_is_renewed_at_every_half_lease_with_the_latest_pop_receipt() -> None:
    queue, clock = FakeQueue(), FakeClock(ends_at=26)
    lease = hold(queue, clock, lease_seconds=10)
    assert queue.updates == [("m1", f"r{n}", 10) for n in range(5)]  # at 5, 10, 15, 20, 25 s
    assert lease.pop_receipt == "r5"
    assert clock.sleeps == [5.0] * 6  # the sixth would have ended after the invocation


def test_an_invocation_shorter_than_half_the_lease_renews_nothing() -> None:
    queue = FakeQueue()
    lease = hold(queue, FakeClock(ends_at=4), lease_seconds=10)
    assert queue.updates == []
    assert lease.pop_receipt == "r0"


def test_a_failed_renewal_is_tried_again_sooner_down_to_a_tenth_of_the_lease() -> None:
    unavailable = [storage_error(503, "ServerBusy") for _ in range(3)]
    queue, clock = FakeQueue(failures=unavailable), FakeClock(ends_at=12)
    lease = hold(queue, clock, lease_seconds=10)
    assert clock.sleeps == [5.0, 2.5, 1.25, 1.0, 5.0]  # halved after each failure, back after one
    assert [receipt for _, receipt, _ in queue.updates] == ["r0", "r0", "r0", "r0"]
    assert lease.pop_receipt == "r1"


def test_a_renewal_without_an_answer_is_tried_again_sooner() -> None:
    queue, clock = FakeQueue(failures=[ServiceRequestError("connection refused")]), FakeClock(9)
    hold(queue, clock, lease_seconds=10)
    assert clock.sleeps == [5.0, 2.5, 5.0]


def test_renewing_stops_once_the_message_is_no_longer_ours() -> None:
    mismatch = storage_error(400, StorageErrorCode.POP_RECEIPT_MISMATCH)
    queue, clock = FakeQueue(failures=[mismatch]), FakeClock()

    async def invocation() -> MessageLease:
        async with MessageLease(
            queue, received(), lease=timedelta(seconds=10), sleep=clock.sleep
        ) as lease:
            await settle()
        return lease

    lease = asyncio.run(invocation())
    assert lease.lost
    assert len(queue.updates) == 1 and clock.sleeps == [5.0]


def test_ending_the_lease_waits_for_a_renewal_already_sent_and_keeps_its_receipt() -> None:
    async def scenario() -> tuple[MessageLease, FakeQueue, bool]:
        gate = asyncio.Event()
        queue, clock = FakeQueue(gate=gate), FakeClock()
        lease = MessageLease(queue, received(), lease=timedelta(seconds=10), sleep=clock.sleep)
        await lease.__aenter__()
        await settle()  # the first renewal is sent and waits for its answer
        ending = asyncio.create_task(lease.__aexit__(None, None, None))
        await settle()
        ended_early = ending.done()
        gate.set()
        await ending
        return lease, queue, ended_early

    lease, queue, ended_early = asyncio.run(scenario())
    assert not ended_early
    assert lease.pop_receipt == "r1" and len(queue.updates) == 1


class FakeWorker:
    """Records what each invocation was given; each runs until the clock reaches its end, then
    returns or raises `raises`."""

    def __init__(self, clock: FakeClock, raises: BaseException | None = None) -> None:
        self.clock = clock
        self.raises = raises
        self.inputs: list[Any] = []

    async def invoke(self, function_id: str, *, inputs: list[Any], **_: Any) -> None:
        self.inputs.append(inputs)
        await self.clock.ended.wait()
        if self.raises is not None:
            raise self.raises


def listener(
    worker: FakeWorker, queue: FakeQueue, poison: FakeQueue, **options: Any
) -> QueueListener:
    function = QueueFunction("orders", "f1", "orders", "AzureWebJobsStorage", "msg")
    queue_options = QueueOptions(lease=timedelta(seconds=10), **options)
    return QueueListener(
        function,
        queue_options,
        worker,  # type: ignore[arg-type]
        timedelta(minutes=30),
        queues=(queue, poison),  # type: ignore[arg-type]
        sleep=worker.clock.sleep,
    )


def process(listener: QueueListener, message: QueueMessage) -> None:
    asyncio.run(listener.process(message))


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_message_that_is_not_base64_goes_to_poison_on_its_first_dequeue_uninvoked() -> None:
    worker, queue, poison = FakeWorker(FakeClock(ends_at=0)), FakeQueue(), FakeQueue()
    process(listener(worker, queue, poison, max_dequeue_count=5), received("{not base64}"))
    assert worker.inputs == []
    assert poison.sent == ["{not base64}"]  # as received, never decoded
    assert queue.deletes == [("m1", "r0")] and queue.updates == []


def test_a_long_invocation_s_message_is_deleted_with_the_latest_pop_receipt() -> None:
    worker, queue, poison = FakeWorker(FakeClock(ends_at=12)), FakeQueue(), FakeQueue()
    process(listener(worker, queue, poison), received(encoded("hello")))
    assert len(worker.inputs) == 1
    assert queue.updates == [("m1", "r0", 10), ("m1", "r1", 10)]
    assert queue.deletes == [("m1", "r2")]


def test_a_failed_long_invocation_is_released_with_the_latest_pop_receipt() -> None:
    clock = FakeClock(ends_at=7)
    worker, queue, poison = FakeWorker(clock, RuntimeError("boom")), FakeQueue(), FakeQueue()
    failing = listener(worker, queue, poison, visibility_timeout=timedelta(seconds=3))
    process(failing, received(encoded("hello")))
    assert queue.updates == [("m1", "r0", 10), ("m1", "r1", 3)]  # renewed, then released
    assert queue.deletes == []


def test_a_failed_long_invocation_on_its_last_dequeue_goes_to_poison_with_the_latest_receipt() -> (
    None
):
    clock = FakeClock(ends_at=7)
    worker, queue, poison = FakeWorker(clock, RuntimeError("boom")), FakeQueue(), FakeQueue()
    process(
        listener(worker, queue, poison, max_dequeue_count=2),
        received(encoded("x"), dequeue_count=2),
    )
    assert poison.sent == [encoded("x")]
    assert queue.deletes == [("m1", "r1")]


def test_a_message_someone_else_now_holds_is_left_to_them() -> None:
    worker, queue, poison = FakeWorker(FakeClock(ends_at=0)), FakeQueue(), FakeQueue()
    queue.delete_failure = storage_error(400, StorageErrorCode.POP_RECEIPT_MISMATCH)
    process(listener(worker, queue, poison), received(encoded("hello")))  # no error escapes
    assert queue.deletes == [("m1", "r0")] and poison.sent == []

"""Queue triggers with the Functions host's documented semantics.

- Fetch up to `batchSize` messages; fetch again once in-flight work drops to `newBatchThreshold`.
- When a queue is empty, back off exponentially (from 100 ms) up to `maxPollingInterval`.
- A fetched message is invisible for the host's lease (10 minutes), renewed at every half lease
  while its invocation runs; the latest pop receipt deletes or releases it afterwards.
- Messages are base64 unless `messageEncoding` is none; one that cannot be decoded moves to
  `<queue>-poison` at once, without an invocation.
- After a failed invocation the message becomes visible again after `visibilityTimeout`; once
  its dequeue count reaches `maxDequeueCount` it moves to `<queue>-poison`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.queue import QueueMessage, StorageErrorCode
from azure.storage.queue.aio import QueueClient

from devtools.devhost.config import HostConfigError, QueueOptions
from devtools.devhost.functions import QueueFunction
from devtools.devhost.protocol import worker_pb2 as protos
from devtools.devhost.worker import LanguageWorker

logger = logging.getLogger("devhost.queues")

MIN_POLLING_INTERVAL = timedelta(milliseconds=100)

# The storage errors after which a message is no longer this host's to renew, delete or release:
# someone else holds it (another pop receipt), or the message or its queue is gone or going.
OWNERSHIP_LOST = frozenset(
    {
        StorageErrorCode.POP_RECEIPT_MISMATCH,
        StorageErrorCode.MESSAGE_NOT_FOUND,
        StorageErrorCode.QUEUE_NOT_FOUND,
        StorageErrorCode.QUEUE_BEING_DELETED,
        StorageErrorCode.QUEUE_DISABLED,
    }
)


def _connection_string(setting: str) -> str:
    value = os.environ.get(setting) or os.environ.get(f"AzureWebJobs{setting}")
    if not value:
        raise HostConfigError(f"Queue trigger connection setting {setting} is not set")
    return value


def failure_summary(error: BaseException) -> str:
    """The error's type and first line, never a stack trace."""
    first_line = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


def decode_body(content: str, encoding: str) -> bytes:
    if encoding == "none":
        return content.encode("utf-8")
    return base64.b64decode(content.encode("ascii"), validate=True)


def ownership_lost(error: BaseException) -> bool:
    """Whether the storage service said that the message is no longer ours."""
    return isinstance(error, HttpResponseError) and (
        getattr(error, "error_code", None) in OWNERSHIP_LOST or error.status_code == 404
    )


def is_transient(error: BaseException) -> bool:
    """A failure worth trying again soon: the service's 5xx, or no answer at all."""
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return True
    return isinstance(error, HttpResponseError) and (error.status_code or 0) >= 500


class VisibilityUpdates(Protocol):
    """What keeping a lease needs of a queue; an aio `QueueClient` has it."""

    async def update_message(
        self, message: str, pop_receipt: str, *, visibility_timeout: int, **options: Any
    ) -> QueueMessage: ...


class MessageLease:
    """Keeps a message that is being processed invisible, as the host does.

    The message was received for `lease`; every half lease its visibility is set to `lease` again
    until the invocation ends, and each renewal's pop receipt replaces the last, for the final
    delete or release. A renewal that fails for a moment is tried again sooner (the wait halves,
    down to a tenth of the lease: the host's 5 minutes and 1 minute for its 10-minute lease).
    Once the message is no longer ours, or the service refuses the renewal, renewing stops.
    """

    def __init__(
        self,
        queue: VisibilityUpdates,
        message: QueueMessage,
        *,
        lease: timedelta,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.queue = queue
        self.message_id: str = message.id
        self.pop_receipt: str = message.pop_receipt
        self.lease = lease
        self.lost = False
        self._sleep = sleep
        self._stopping = False
        self._renewing = False
        self._task: asyncio.Task[None] | None = None

    @property
    def interval(self) -> timedelta:
        return self.lease / 2

    @property
    def shortest_interval(self) -> timedelta:
        return self.lease / 10

    async def __aenter__(self) -> MessageLease:
        self._task = asyncio.create_task(self._keep())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Stop renewing. A renewal already sent is waited for, so that its pop receipt is kept:
        cancelling it could leave the message with a receipt that nobody knows."""
        self._stopping = True
        task = self._task
        if task is None:
            return
        if not self._renewing:
            task.cancel()
        await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:
            logger.error("Renewing message %s failed: %r", self.message_id, task.exception())

    async def _keep(self) -> None:
        wait = self.interval
        while not self._stopping:
            await self._sleep(wait.total_seconds())
            self._renewing = True
            try:
                next_wait = await self._renew(wait)
            finally:
                self._renewing = False
            if next_wait is None:
                return
            wait = next_wait

    async def _renew(self, wait: timedelta) -> timedelta | None:
        """Set the visibility again: the wait until the next renewal, None when renewing is over."""
        try:
            updated = await self.queue.update_message(
                self.message_id,
                self.pop_receipt,
                visibility_timeout=int(self.lease.total_seconds()),
                **UNTRACED,
            )
        except AzureError as error:
            if is_transient(error):
                sooner = max(wait / 2, self.shortest_interval)
                logger.warning(
                    "Renewing message %s failed (%s); trying again in %.1f s",
                    self.message_id,
                    failure_summary(error),
                    sooner.total_seconds(),
                )
                return sooner
            self.lost = ownership_lost(error)
            logger.warning(
                "Message %s is no longer kept invisible (%s); it may be delivered again",
                self.message_id,
                failure_summary(error),
            )
            return None
        self.pop_receipt = updated.pop_receipt
        return self.interval


class QueueListener:
    """Runs one queue-triggered function against its queue until stopped."""

    def __init__(
        self,
        function: QueueFunction,
        options: QueueOptions,
        worker: LanguageWorker,
        timeout: timedelta,
        *,
        queues: tuple[QueueClient, QueueClient] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        """`queues` (the queue and its poison queue) are made from the function's connection
        setting unless given; leases wait between renewals with `sleep`."""
        self.function = function
        self.options = options
        self.worker = worker
        self.timeout = timeout
        self.queue, self.poison = queues or _queue_clients(function)
        self._lease_sleep = sleep
        self.in_flight: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        await self._create_if_missing(self.queue)
        delay = MIN_POLLING_INTERVAL
        while not self._stopping.is_set():
            if len(self.in_flight) > self.options.new_batch_threshold:
                await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            fetched = await self._fetch()
            if fetched:
                delay = MIN_POLLING_INTERVAL
                continue
            await self._sleep(delay)
            delay = min(delay * 2, self.options.max_polling_interval)

    async def stop(self) -> None:
        """Stop fetching and let in-flight invocations finish."""
        self._stopping.set()
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
        await self.queue.close()
        await self.poison.close()

    async def _sleep(self, delay: timedelta) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay.total_seconds())

    async def _create_if_missing(self, queue: QueueClient) -> None:
        with contextlib.suppress(ResourceExistsError):
            await queue.create_queue(**UNTRACED)

    async def _fetch(self) -> int:
        try:
            pager = self.queue.receive_messages(
                messages_per_page=self.options.batch_size,
                max_messages=self.options.batch_size,
                visibility_timeout=int(self.options.lease.total_seconds()),
                **UNTRACED,
            )
            messages = [message async for message in pager]
        except Exception as error:  # noqa: BLE001 - keep polling through storage hiccups
            logger.warning("Polling %s failed: %s", self.function.queue_name, type(error).__name__)
            return 0
        for message in messages:
            task = asyncio.create_task(self.process(message))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(messages)

    async def process(self, message: QueueMessage) -> None:
        """One received message, as the host handles it: poison if it cannot be decoded or has
        failed as often as allowed, else invoked under a lease, then deleted or released."""
        try:
            body = decode_body(message.content, self.options.message_encoding)
        except (binascii.Error, ValueError, UnicodeError):
            # The host's queue client fails to decode it while receiving, and the host moves it
            # to the poison queue there and then, whatever its dequeue count.
            why = f"not valid {self.options.message_encoding}, on dequeue {message.dequeue_count}"
            await self._move_to_poison(message, message.pop_receipt, why=why)
            return
        if message.dequeue_count > self.options.max_dequeue_count:
            why = f"after {message.dequeue_count} dequeues"  # it failed as often as allowed
            await self._move_to_poison(message, message.pop_receipt, why=why)
            return
        lease = MessageLease(self.queue, message, lease=self.options.lease, sleep=self._lease_sleep)
        async with lease:
            succeeded = await self._invoke(message, body)
        await self._complete(message, lease.pop_receipt, succeeded=succeeded)

    async def _invoke(self, message: QueueMessage, body: bytes) -> bool:
        trigger = protos.ParameterBinding(name=self.function.binding_name, data=_typed_body(body))
        try:
            async with asyncio.timeout(self.timeout.total_seconds()):
                await self.worker.invoke(
                    self.function.function_id,
                    inputs=[trigger],
                    trigger_metadata=trigger_metadata(message),
                )
        except Exception as error:  # noqa: BLE001 - any failure counts toward the dequeue limit
            logger.warning("Function %s failed: %s", self.function.name, failure_summary(error))
            return False
        return True

    async def _complete(self, message: QueueMessage, pop_receipt: str, *, succeeded: bool) -> None:
        """Delete the message, release it for another try, or move it to poison, with the
        latest pop receipt; a message that is no longer ours is left to whoever holds it."""
        try:
            if succeeded:
                await self.queue.delete_message(message.id, pop_receipt, **UNTRACED)
            elif message.dequeue_count >= self.options.max_dequeue_count:
                why = f"after {message.dequeue_count} dequeues"
                await self._move_to_poison(message, pop_receipt, why=why)
            else:
                await self.queue.update_message(
                    message.id,
                    pop_receipt,
                    visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
                    **UNTRACED,
                )
        except HttpResponseError as error:
            if not ownership_lost(error):
                raise
            logger.warning(
                "Message %s is no longer ours (%s); left as it is",
                message.id,
                failure_summary(error),
            )

    async def _move_to_poison(self, message: QueueMessage, pop_receipt: str, *, why: str) -> None:
        await self._create_if_missing(self.poison)
        await self.poison.send_message(message.content, **UNTRACED)  # as received: never decoded
        await self.queue.delete_message(message.id, pop_receipt, **UNTRACED)
        logger.warning("Message %s moved to %s: %s", message.id, self.poison.queue_name, why)


def _queue_clients(function: QueueFunction) -> tuple[QueueClient, QueueClient]:
    connection = _connection_string(function.connection)
    return (
        _local_queue(connection, function.queue_name),
        _local_queue(connection, f"{function.queue_name}-poison"),
    )


# The host's queue client retries as the Azure SDK for .NET does by default: three times,
# exponentially from 0.8 s. The Python SDK's default waits 15 s and more between tries, so a host
# whose storage has gone would take a minute to let an invocation end, and to stop.
RETRY_OPTIONS: dict[str, float] = {"initial_backoff": 0.8, "increment_base": 2, "retry_total": 3}
# The real host is a process of its own: its queue calls are never the app's spans, though here
# they run where the app has switched azure-core's tracing on.
UNTRACED: dict[str, Any] = {"tracing_options": {"enabled": False}}


def _local_queue(connection: str, name: str) -> QueueClient:
    """A client of a local queue, which never goes through a proxy (aiohttp would otherwise look
    for one, and for a netrc entry, in a thread on every request)."""
    transport = AioHttpTransport(use_env_settings=False)
    return QueueClient.from_connection_string(
        connection, name, transport=transport, **RETRY_OPTIONS
    )


def _typed_body(body: bytes) -> protos.TypedData:
    """The message as the host hands it to a string-typed trigger (bytes if it is not text)."""
    try:
        return protos.TypedData(string=body.decode("utf-8"))
    except UnicodeDecodeError:
        return protos.TypedData(bytes=body)


def _json_time(value: datetime | None) -> protos.TypedData:
    return protos.TypedData(json=json.dumps(value.isoformat() if value else None))


def trigger_metadata(message: QueueMessage) -> dict[str, protos.TypedData]:
    """The queue trigger's metadata as the host sends it, which becomes the QueueMessage's id,
    dequeue count, times and pop receipt."""
    return {
        "Id": protos.TypedData(string=message.id),
        "DequeueCount": protos.TypedData(json=json.dumps(message.dequeue_count)),
        "InsertionTime": _json_time(message.inserted_on),
        "ExpirationTime": _json_time(message.expires_on),
        "NextVisibleTime": _json_time(message.next_visible_on),
        "PopReceipt": protos.TypedData(string=message.pop_receipt or ""),
    }

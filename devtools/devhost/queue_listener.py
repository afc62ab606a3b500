"""Queue triggers with the Functions host's documented semantics.

- Fetch up to `batchSize` messages; fetch again once in-flight work drops to `newBatchThreshold`.
- When a queue is empty, back off exponentially (from 100 ms) up to `maxPollingInterval`.
- Messages are base64 unless `messageEncoding` is none; one that cannot be decoded fails.
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
from datetime import datetime, timedelta

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient

from devtools.devhost.config import HostConfigError, QueueOptions
from devtools.devhost.functions import QueueFunction
from devtools.devhost.protocol import worker_pb2 as protos
from devtools.devhost.worker import LanguageWorker

logger = logging.getLogger("devhost.queues")

MIN_POLLING_INTERVAL = timedelta(milliseconds=100)
# The lease a fetched message gets while its invocation runs (the host uses 10 minutes).
INVOCATION_LEASE_SECONDS = 600


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


class QueueListener:
    """Runs one queue-triggered function against its queue until stopped."""

    def __init__(
        self,
        function: QueueFunction,
        options: QueueOptions,
        worker: LanguageWorker,
        timeout: timedelta,
    ) -> None:
        self.function = function
        self.options = options
        self.worker = worker
        self.timeout = timeout
        connection = _connection_string(function.connection)
        self.queue = QueueClient.from_connection_string(connection, function.queue_name)
        self.poison = QueueClient.from_connection_string(
            connection, f"{function.queue_name}-poison"
        )
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
            await queue.create_queue()

    async def _fetch(self) -> int:
        try:
            pager = self.queue.receive_messages(
                messages_per_page=self.options.batch_size,
                max_messages=self.options.batch_size,
                visibility_timeout=INVOCATION_LEASE_SECONDS,
            )
            messages = [message async for message in pager]
        except Exception as error:  # noqa: BLE001 - keep polling through storage hiccups
            logger.warning("Polling %s failed: %s", self.function.queue_name, type(error).__name__)
            return 0
        for message in messages:
            task = asyncio.create_task(self._process(message))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        return len(messages)

    async def _process(self, message: QueueMessage) -> None:
        if message.dequeue_count > self.options.max_dequeue_count:
            await self._move_to_poison(message)  # it already failed as often as allowed
            return
        try:
            body = decode_body(message.content, self.options.message_encoding)
        except (binascii.Error, ValueError, UnicodeError):
            logger.warning("Message %s is not valid %s", message.id, self.options.message_encoding)
            await self._failed(message)
            return
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
            await self._failed(message)
        else:
            await self.queue.delete_message(message.id, message.pop_receipt)

    async def _failed(self, message: QueueMessage) -> None:
        if message.dequeue_count >= self.options.max_dequeue_count:
            await self._move_to_poison(message)
            return
        await self.queue.update_message(
            message.id,
            message.pop_receipt,
            visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
        )

    async def _move_to_poison(self, message: QueueMessage) -> None:
        await self._create_if_missing(self.poison)
        await self.poison.send_message(message.content)
        await self.queue.delete_message(message.id, message.pop_receipt)
        logger.warning(
            "Message %s moved to %s after %s dequeues",
            message.id,
            self.poison.queue_name,
            message.dequeue_count,
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

"""The edge of every queue-triggered function: one consumer span per message, with the request
charge it cost, and a count of the messages handed back to the queue."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import azure.functions as func

from shared.platform import metrics, telemetry

QueueHandler = Callable[[func.QueueMessage], Awaitable[None]]


def queue_endpoint(queue_name: str) -> Callable[[QueueHandler], QueueHandler]:
    """Serve `handler` (triggered by `queue_name`) through the queue edge. An exception still
    reaches the host, which delivers the message again (or moves it to the poison queue)."""

    def wrap(handler: QueueHandler) -> QueueHandler:
        @functools.wraps(handler)
        async def endpoint(msg: func.QueueMessage) -> None:
            attributes: telemetry.Attributes = {
                "faas.name": handler.__name__,
                "faas.trigger": "pubsub",
                "messaging.system": "azure.storage.queue",
                "messaging.operation.type": "process",
                "messaging.destination.name": queue_name,
                "messaging.message.id": msg.id or "",
            }
            if msg.dequeue_count is not None:
                attributes = {**attributes, "messaging.message.delivery_count": msg.dequeue_count}
            name = f"process {queue_name}"
            with telemetry.charged_span(name, kind="consumer", attributes=attributes):
                try:
                    await handler(msg)
                except Exception:
                    metrics.count_message_retried()
                    raise

        return endpoint

    return wrap

"""The edge of every queue-triggered function: one consumer span per message, with the request
charge it cost, and a count of the messages handed back to the queue."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import azure.functions as func

from shared.platform import conventions, metrics, telemetry
from shared.platform.invocations import invocation_id, passing_context

QueueHandler = Callable[[func.QueueMessage], Awaitable[None]]
DEQUEUE_COUNT = "catalog.queue.message.dequeue_count"


def queue_endpoint(queue_name: str) -> Callable[[QueueHandler], QueueHandler]:
    """Serve `handler` (triggered by `queue_name`) through the queue edge. An exception still
    reaches the host, which delivers the message again (or moves it to the poison queue)."""

    def wrap(handler: QueueHandler) -> QueueHandler:
        @functools.wraps(handler)
        async def endpoint(msg: func.QueueMessage, *, context: func.Context | None = None) -> None:
            attributes = _message_attributes(handler.__name__, queue_name, msg, context)
            name = f"process {queue_name}"
            with telemetry.charged_span(name, kind="consumer", attributes=attributes):
                try:
                    await handler(msg)
                except Exception:
                    metrics.count_message_retried()
                    raise

        passing_context(endpoint, handler)
        return endpoint

    return wrap


def _message_attributes(
    function: str, queue_name: str, msg: func.QueueMessage, context: func.Context | None
) -> telemetry.Attributes:
    attributes: dict[str, str | int] = {
        conventions.FAAS_NAME: function,
        conventions.FAAS_TRIGGER: conventions.FAAS_TRIGGER_PUBSUB,
        conventions.MESSAGING_SYSTEM: "azure.storage.queue",
        conventions.MESSAGING_OPERATION_TYPE: conventions.MESSAGING_OPERATION_PROCESS,
        conventions.MESSAGING_DESTINATION_NAME: queue_name,
        conventions.MESSAGING_MESSAGE_ID: msg.id or "",
    }
    if (invocation := invocation_id(context)) is not None:
        attributes[conventions.FAAS_INVOCATION_ID] = invocation
    if msg.dequeue_count is not None:  # no convention for a storage queue's count: our own name
        attributes[DEQUEUE_COUNT] = msg.dequeue_count
    return attributes

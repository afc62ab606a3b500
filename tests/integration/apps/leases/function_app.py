"""A tiny function app for the development host's queue leases: a queue function that takes as
many seconds as its message says, and logs when it starts and when it is done."""

from __future__ import annotations

import asyncio
import logging

import azure.functions as func

app = func.FunctionApp()
logger = logging.getLogger("leases")


@app.queue_trigger(arg_name="msg", queue_name="%LEASES_QUEUE%", connection="AzureWebJobsStorage")
async def takes_its_time(msg: func.QueueMessage) -> None:
    logger.warning("message %s started on dequeue %s", msg.id, msg.dequeue_count)
    await asyncio.sleep(float(msg.get_body().decode()))
    logger.warning("message %s done", msg.id)

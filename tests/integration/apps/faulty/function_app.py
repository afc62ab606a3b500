"""A tiny function app for testing the development host itself: a function that raises, one
that outlasts functionTimeout, one that answers, and a queue function that raises."""

from __future__ import annotations

import asyncio

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="raises", methods=["GET"])
async def raises(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("secret detail that must not reach the client")


@app.route(route="sleeps", methods=["GET"])
async def sleeps(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(30)
    return func.HttpResponse("too late")


@app.route(route="echo/{word}", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    """Synchronous on purpose: the runtime runs it on its thread pool."""
    body = f"{req.route_params['word']}:{req.params.get('q')}:{req.get_body().decode()}"
    headers = {"X-Seen-Header": req.headers.get("x-probe", ""), "Set-Cookie": "session=abc; Path=/"}
    return func.HttpResponse(body, status_code=201, headers=headers)


@app.queue_trigger(arg_name="msg", queue_name="%FAULTY_QUEUE%", connection="AzureWebJobsStorage")
async def fails(msg: func.QueueMessage) -> None:
    raise RuntimeError(f"message {msg.id} failed on dequeue {msg.dequeue_count}")

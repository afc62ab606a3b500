"""python -m devtools.devhost --port 7071 [--root .]: run function_app.py like `func start`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.devhost.config import (
    HostConfigError,
    HostOptions,
    load_host_options,
    load_local_settings,
)
from devtools.devhost.functions import FunctionIndex, FunctionMetadata, index_functions
from devtools.devhost.http_server import RefusedRequestLog, create_http_app
from devtools.devhost.queue_listener import QueueListener
from devtools.devhost.worker import RUNTIME_VERSION, LanguageWorker

logger = logging.getLogger("devhost")

SHUTDOWN_GRACE_SECONDS = 30


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.devhost", description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="HTTP port (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the function app folder")
    return parser.parse_args()


def _ignore_clients_left_open(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Like the Functions worker, the host exits without closing the app's long-lived clients;
    aiohttp's complaint about that at exit is noise, anything else is reported as usual."""
    if str(context.get("message", "")).startswith("Unclosed"):
        return
    loop.default_exception_handler(context)


@dataclass
class _Host:
    """The running host: the worker, the HTTP site and the queue listeners."""

    worker: LanguageWorker
    runner: web.AppRunner
    listeners: list[QueueListener]
    polling: list[asyncio.Task[None]]


async def _start_worker(root: Path) -> tuple[LanguageWorker, FunctionIndex]:
    """The app loaded by the language worker, and its functions by trigger."""
    sys.path.insert(0, str(root))
    worker = LanguageWorker(root)
    metadata = await worker.start()  # a missing setting fails here, naming the setting
    index = index_functions(
        FunctionMetadata(m.name, m.function_id, list(m.raw_bindings)) for m in metadata
    )
    return worker, index


async def _start_http(
    args: argparse.Namespace, index: FunctionIndex, options: HostOptions, worker: LanguageWorker
) -> tuple[web.AppRunner, int]:
    app = create_http_app(
        index.http,
        options.route_prefix,
        worker,
        options.function_timeout,
        function_key=options.function_key,
    )
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_GRACE_SECONDS, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    return runner, runner.addresses[0][1]


def _announce(
    args: argparse.Namespace, port: int, index: FunctionIndex, options: HostOptions
) -> None:
    prefix = options.route_prefix
    print(
        f"Functions host listening on http://{args.host}:{port}/{prefix} "
        f"(azure-functions-runtime {RUNTIME_VERSION}, Python {platform.python_version()})",
        flush=True,
    )
    for function in index.http:
        methods = ",".join(sorted(function.methods))
        logger.info(
            "  %s: [%s] /%s/%s (%s)",
            function.name, methods, prefix, function.route, function.auth_level,
        )  # fmt: skip
    for function in index.queues:
        logger.info("  %s: queue %s", function.name, function.queue_name)
    checked = "checked (DEVHOST_FUNCTION_KEY)" if options.function_key else "not checked"
    logger.info("Function keys are %s", checked)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_ignore_clients_left_open)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _stop(host: _Host) -> None:
    logger.info("Stopping: letting in-flight invocations finish")
    await asyncio.gather(*(listener.stop() for listener in host.listeners))
    for task in host.polling:
        task.cancel()
    await host.runner.cleanup()
    host.worker.stop()


async def _serve(args: argparse.Namespace) -> None:
    root = args.root.resolve()
    load_local_settings(root)  # first: its values may override host.json
    options = load_host_options(root)
    worker, index = await _start_worker(root)
    runner, port = await _start_http(args, index, options, worker)
    listeners = [
        QueueListener(function, options.queues, worker, options.function_timeout)
        for function in index.queues
    ]
    polling = [asyncio.create_task(listener.run()) for listener in listeners]
    _announce(args, port, index, options)
    await _until_signalled()
    await _stop(_Host(worker, runner, listeners, polling))


MAX_LOG_LINE = 1_000


class _ShortenLongLines(logging.Filter):
    """The runtime logs its whole index on one line; keep the host's log readable."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > MAX_LOG_LINE:
            record.msg, record.args = f"{message[:MAX_LOG_LINE]} ...", ()
        return True


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_ShortenLongLines())
    logging.getLogger("aiohttp.server").addFilter(RefusedRequestLog())
    logging.getLogger("azure").setLevel(logging.WARNING)
    logging.getLogger("azure.functions").setLevel(logging.INFO)  # the runtime's own log
    try:
        asyncio.run(_serve(_parse_args()))
    except HostConfigError as error:
        print(f"devhost: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

"""python -m devtools.devhost --port 7071 [--root .]: run function_app.py like `func start`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.devhost.config import HostConfigError, load_host_options, load_local_settings
from devtools.devhost.functions import FunctionMetadata, index_functions
from devtools.devhost.http_server import create_http_app
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


async def _serve(args: argparse.Namespace) -> None:
    root = args.root.resolve()
    load_local_settings(root)
    options = load_host_options(root)
    sys.path.insert(0, str(root))
    worker = LanguageWorker(root)
    metadata = await worker.start()  # a missing setting fails here, naming the setting
    index = index_functions(
        FunctionMetadata(m.name, m.function_id, list(m.raw_bindings)) for m in metadata
    )
    timeout = options.function_timeout
    runner = web.AppRunner(
        create_http_app(index.http, options.route_prefix, worker, timeout),
        shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        access_log=None,
    )
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    port = runner.addresses[0][1]
    listeners = [
        QueueListener(function, options.queues, worker, timeout) for function in index.queues
    ]
    polling = [asyncio.create_task(listener.run()) for listener in listeners]

    print(
        f"Functions host listening on http://{args.host}:{port}/{options.route_prefix} "
        f"(azure-functions-runtime {RUNTIME_VERSION}, Python {platform.python_version()})",
        flush=True,
    )
    for function in index.http:
        methods = ",".join(sorted(function.methods))
        logger.info(
            "  %s: [%s] /%s/%s", function.name, methods, options.route_prefix, function.route
        )
    for function in index.queues:
        logger.info("  %s: queue %s", function.name, function.queue_name)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_ignore_clients_left_open)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logger.info("Stopping: letting in-flight invocations finish")
    await asyncio.gather(*(listener.stop() for listener in listeners))
    for task in polling:
        task.cancel()
    await runner.cleanup()
    worker.stop()


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
    logging.getLogger("azure").setLevel(logging.WARNING)
    logging.getLogger("azure.functions").setLevel(logging.INFO)  # the runtime's own log
    try:
        asyncio.run(_serve(_parse_args()))
    except HostConfigError as error:
        print(f"devhost: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()

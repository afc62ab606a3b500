"""catalog-import FILE [--api URL] [--key KEY] [--json] [--request-bytes N] [--stall-seconds S]

Loads a JSON array or NDJSON file of products through POST /api/imports, as one import per
request body of at most --request-bytes (each sent with an idempotency key of its own, so a
request retried after a timeout, a lost connection or a 429/503 answer never imports twice),
with at most --max-pending imports unfinished at a time, shows how far the imports have got,
and ends with a summary and the first rejected records with their reasons.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from catalog_import.api import CatalogApi, StartedImport
from catalog_import.bodies import API_LIMIT_BYTES, DEFAULT_REQUEST_BYTES, RequestBodies
from catalog_import.display import PlainLines, ProgressView, RichBar, Silent
from catalog_import.errors import ApiError, CommandError, ImportFailedError
from catalog_import.grouping import DEFAULT_SPAN_BYTES, grouped_by_category
from catalog_import.outcome import Outcome
from catalog_import.records import file_line_of, read_records
from catalog_import.watch import WatchLimits, watch

PROG = "catalog-import"
ALL_WRITTEN, FAILED, SOME_REJECTED = 0, 1, 2
REJECTS_SHOWN = 10
POLL_SECONDS = 0.5
STALL_SECONDS = 120.0
# Imports unfinished at a time: about 16 MB of 4 MiB requests on the queue, enough to keep the
# queue function busy, not the whole file (a failure stops the rest from being sent).
MAX_PENDING = 4

EXIT_STATUSES = f"""exit status:
  {ALL_WRITTEN}  every record was written
  {SOME_REJECTED}  some records were rejected (the first {REJECTS_SHOWN} are listed, with reasons)
  {FAILED}  the import could not be done, said in one line on stderr: the API unreachable or
     refusing a request (after retries), a file that is not JSON (with the line and column),
     a record larger than a request, an import that failed, stalled (no progress for
     --stall-seconds) or outlasted --timeout, or a usage error
`make import` cannot pass these on: make exits 2 whenever a recipe fails. Run the command
itself (catalog-import, or .venv/bin/catalog-import) where the status matters."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1 like every other failure (2 means rejects here)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(FAILED, f"{self.prog}: error: {message}\n")


def _request_bytes(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}") from None
    if not 1 <= size <= API_LIMIT_BYTES:
        raise argparse.ArgumentTypeError(
            f"{size:,} is not between 1 and the API's limit of {API_LIMIT_BYTES:,} bytes"
        )
    return size


def _whole_number_of(unit: str) -> Callable[[str], int]:
    """An argument type: a whole number of `unit`, 0 or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"not a number of {unit}: {text!r}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return seconds


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=PROG,
        description=(__doc__ or "").partition("\n\n")[2],  # the usage line says the rest
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="a JSON array or NDJSON file of products")
    parser.add_argument("--api", default="http://localhost:7071/api", help="the API's base URL")
    parser.add_argument("--key", help="a function key (needed in Azure)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary, no bar")
    parser.add_argument(
        "--request-bytes",
        type=_request_bytes,
        default=DEFAULT_REQUEST_BYTES,
        metavar="N",
        help=f"the largest request body in bytes (default {DEFAULT_REQUEST_BYTES:,}, at most "
        f"the API's limit of {API_LIMIT_BYTES:,}); a larger file becomes several imports",
    )
    parser.add_argument(
        "--group-bytes",
        type=_whole_number_of("bytes"),
        default=DEFAULT_SPAN_BYTES,
        metavar="N",
        help=f"regroup records by category within each N bytes of the file, for fuller "
        f"batches (default {DEFAULT_SPAN_BYTES:,}; 0 sends them in the file's order)",
    )
    parser.add_argument(  # the option's former name
        "--max-import-bytes",
        dest="request_bytes",
        type=_request_bytes,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--max-pending",
        type=_whole_number_of("imports"),
        default=MAX_PENDING,
        metavar="N",
        help=f"send the next request only while fewer than N imports are unfinished (default "
        f"{MAX_PENDING}; 0 sends the whole file at once)",
    )
    parser.add_argument(
        "--stall-seconds",
        type=_seconds,
        default=STALL_SECONDS,
        metavar="S",
        help=f"give up when no import has progressed for S seconds (default {STALL_SECONDS:g})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=3600,
        metavar="S",
        help="seconds to wait for all imports at most (default 3600)",
    )
    return parser.parse_args(argv)


def _upload(
    api: CatalogApi, path: Path, outcome: Outcome, *, args: argparse.Namespace,
    wait_for: Callable[[int], None],
) -> None:  # fmt: skip
    """Send the file as one import per request body, read from disk as the bodies are sent,
    each once fewer than --max-pending imports are unfinished (`wait_for(n)` returns when at
    most n are)."""
    started = outcome.imports
    try:
        with path.open("rb") as stream:
            records = read_records(stream, max_record_bytes=args.request_bytes - 1)  # + newline
            grouped = grouped_by_category(records, span_bytes=args.group_bytes)
            for body in RequestBodies(grouped, max_bytes=args.request_bytes):
                if args.max_pending and len(started) >= args.max_pending:
                    wait_for(args.max_pending - 1)
                started.append(_start(api, body, path))
    except CommandError as error:
        if not started:
            raise
        sent = sum(s.records for s in started)
        begun = ", ".join(s.import_id for s in started)
        raise ImportFailedError(
            f"{error} ({sent:,} records of the file went out, as {begun})"
        ) from error
    if not started:
        raise ImportFailedError(f"{path} holds no records")


def _start(api: CatalogApi, body: bytes, path: Path) -> StartedImport:
    """Start an import of `body`; a refusal that names a line of the body names the line of
    the file that record came from (records are regrouped, so the two differ)."""
    try:
        return api.start_import(body)
    except ApiError as error:
        lines = body.split(b"\n")
        if error.line is None or error.line > len(lines):
            raise
        with path.open("rb") as stream:
            line = file_line_of(stream, lines[error.line - 1])
        if line is None:
            raise
        raise ApiError(f"{error} (the record at line {line} of {path})") from error


def _first_rejects(api: CatalogApi, outcome: Outcome) -> list[dict[str, Any]]:
    rejects: list[dict[str, Any]] = []
    for started in outcome.imports:
        if len(rejects) < REJECTS_SHOWN and outcome.progress[started.import_id]["rejected"]:
            rejects += api.first_rejects(started.import_id, limit=REJECTS_SHOWN - len(rejects))
    return rejects


def _view(args: argparse.Namespace) -> ProgressView:
    if args.json:
        return Silent()
    return RichBar() if sys.stdout.isatty() else PlainLines()


def _run(args: argparse.Namespace) -> Outcome:
    api = CatalogApi(args.api, key=args.key)
    began = time.monotonic()
    outcome = Outcome(imports=[])
    view = _view(args)
    limits = WatchLimits(
        timeout=args.timeout, stall_seconds=args.stall_seconds, poll_seconds=POLL_SECONDS
    )

    def wait_for(unfinished: int) -> None:
        watch(api, outcome, view, limits=limits, unfinished_at_most=unfinished, began=began)

    try:
        _upload(api, args.file, outcome, args=args, wait_for=wait_for)
        wait_for(0)
    finally:
        view.close()
    outcome.seconds = time.monotonic() - began
    outcome.rejects = _first_rejects(api, outcome)
    return outcome


IMPORT_FIELDS = ("state", "accepted", "written", "rejected")


def _summary_json(outcome: Outcome) -> dict[str, Any]:
    counts = outcome.counts()
    imports = [
        {"importId": s.import_id, **{k: outcome.progress[s.import_id][k] for k in IMPORT_FIELDS}}
        for s in outcome.imports
    ]
    return {
        "imports": imports,
        "accepted": counts.total,
        "written": counts.written,
        "rejected": counts.rejected,
        "seconds": round(outcome.seconds, 2),
        "recordsPerSecond": round(counts.done / outcome.seconds) if outcome.seconds else None,
        "rejects": outcome.rejects,
    }


def _summary_text(outcome: Outcome) -> str:
    counts = outcome.counts()
    lines = [
        f"{counts.total:,} records in {len(outcome.imports)} import(s): "
        f"{counts.written:,} written, {counts.rejected:,} rejected in {outcome.seconds:.1f} s",
        *(f"  import {s.import_id}" for s in outcome.imports),
    ]
    if outcome.rejects:
        lines.append(f"first {len(outcome.rejects)} rejected records:")
        lines += [
            f"  {_where(reject)}: {reject['status']} {reject['reason']}"
            for reject in outcome.rejects
        ]
    return "\n".join(lines)


def _where(reject: dict[str, Any]) -> str:
    """Where a rejected record was: its place in its import part, and its id if it had one."""
    record = reject.get("record")
    named = f" (id {record['id']})" if isinstance(record, dict) and "id" in record else ""
    return f"part {reject['part']} record {reject['index']}{named}"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        outcome = _run(args)
    except (CommandError, OSError) as error:
        message = f"{PROG}: {error}".replace("\n", " ")
        print(message, file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(error)}))
        return FAILED
    print(json.dumps(_summary_json(outcome)) if args.json else _summary_text(outcome))
    return SOME_REJECTED if outcome.counts().rejected else ALL_WRITTEN


if __name__ == "__main__":
    sys.exit(main())

"""python -m catalog_import FILE [--api URL] [--key KEY] [--json]

Loads a JSON array or NDJSON file of products through POST /api/imports (several imports when
the file is larger than a request may be), shows how far the import has got, and ends with a
summary and the first rejected records with their reasons. Exit status: 0 when every record was
written, 2 when some were rejected, 1 when the import could not be done.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog_import.api import ApiError, CatalogApi, StartedImport
from catalog_import.bodies import RecordTooLargeError, RequestBodies
from catalog_import.display import Counts, PlainLines, ProgressView, RichBar, Silent
from catalog_import.records import FileFormatError, read_records
from shared.platform.limits import MAX_REQUEST_BYTES

ALL_WRITTEN, FAILED, SOME_REJECTED = 0, 1, 2
REJECTS_SHOWN = 10
POLL_SECONDS = 0.5


class ImportFailedError(Exception):
    """The import did not complete; the message is one line."""


@dataclass
class Outcome:
    """What the command did, for the summary."""

    imports: list[StartedImport]
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> Counts:
        done = self.progress.values()
        return Counts(
            written=sum(p["written"] for p in done),
            rejected=sum(p["rejected"] for p in done),
            total=sum(started.records for started in self.imports),
        )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m catalog_import", description=__doc__)
    parser.add_argument("file", type=Path, help="a JSON array or NDJSON file of products")
    parser.add_argument("--api", default="http://localhost:7071/api", help="the API's base URL")
    parser.add_argument("--key", help="a function key (needed in Azure)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary, no bar")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most")
    parser.add_argument(
        "--max-import-bytes", type=int, default=MAX_REQUEST_BYTES, help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def _upload(api: CatalogApi, path: Path, max_bytes: int) -> list[StartedImport]:
    """Send the file as one import per request-sized body, streamed from disk."""
    started: list[StartedImport] = []
    with path.open("rb") as stream:
        for body in RequestBodies(read_records(stream), max_bytes=max_bytes):
            try:
                started.append(api.start_import(body))
            except ApiError as error:
                begun = ", ".join(s.import_id for s in started)
                note = f" (started: {begun})" if begun else ""
                raise ImportFailedError(f"{error}{note}") from None
    if not started:
        raise ImportFailedError(f"{path} holds no records")
    return started


def _watch(api: CatalogApi, outcome: Outcome, view: ProgressView, timeout: float) -> None:
    """Poll every import's progress until all have completed."""
    deadline = time.monotonic() + timeout
    while True:
        for started in outcome.imports:
            outcome.progress[started.import_id] = api.progress(started.import_id)
        view.update(outcome.counts())
        if all(p["state"] != "running" for p in outcome.progress.values()):
            return
        if time.monotonic() > deadline:
            counts = outcome.counts()
            raise ImportFailedError(
                f"the import did not finish within {timeout:g} s "
                f"(written {counts.written:,}, rejected {counts.rejected:,} of {counts.total:,})"
            )
        time.sleep(POLL_SECONDS)


def _first_rejects(api: CatalogApi, outcome: Outcome) -> list[dict[str, Any]]:
    rejects: list[dict[str, Any]] = []
    for started in outcome.imports:
        if len(rejects) < REJECTS_SHOWN and outcome.progress[started.import_id]["rejected"]:
            rejects += api.first_rejects(started.import_id, limit=REJECTS_SHOWN - len(rejects))
    return rejects


def _view(args: argparse.Namespace, total: int) -> ProgressView:
    if args.json:
        return Silent()
    return RichBar(total) if sys.stdout.isatty() else PlainLines()


def _run(args: argparse.Namespace) -> Outcome:
    api = CatalogApi(args.api, key=args.key)
    began = time.monotonic()
    outcome = Outcome(imports=_upload(api, args.file, args.max_import_bytes))
    view = _view(args, outcome.counts().total)
    try:
        _watch(api, outcome, view, args.timeout)
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
    except (ApiError, ImportFailedError, FileFormatError, RecordTooLargeError, OSError) as error:
        message = f"catalog_import: {error}".replace("\n", " ")
        print(message, file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(error)}))
        return FAILED
    print(json.dumps(_summary_json(outcome)) if args.json else _summary_text(outcome))
    return SOME_REJECTED if outcome.counts().rejected else ALL_WRITTEN


if __name__ == "__main__":
    sys.exit(main())

"""An import body taken in: read once, record by record, packed into parts, sent to the queue.

Reading, checking, packing and sending proceed together: at most `SEND_CONCURRENCY` parts are in
flight and none is kept after it is sent, so memory does not grow with the body. The reading is
plain Python on the event loop, so it gives the loop back every `SLICE_SECONDS`, and a part is
deflated on a worker thread (zlib runs without the GIL): other invocations (a product read, the
queue function) keep being served during a large import.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.ingest.packing import (
    CategoryWindow,
    Gathered,
    PartPacker,
    WindowEntry,
    import_records,
)
from shared.ingest.supersession import LastOccurrences, Supersession
from shared.platform import queues
from shared.platform.errors import BadRequestError, PayloadTooLargeError, ServiceUnavailableError
from shared.platform.limits import MAX_IMPORT_RECORDS

SEND_CONCURRENCY = 8
SLICE_SECONDS = 0.02
CLOCK_EVERY = 128  # records between looks at the clock


@dataclass(frozen=True)
class Intake:
    """What an import body turned into: its records, the parts that carry them, and which
    records later records of the same body replace (per part)."""

    records: int
    messages: int
    superseded: Mapping[int, Sequence[Supersession]]

    @property
    def superseded_count(self) -> int:
        return sum(len(entries) for entries in self.superseded.values())


class IntakeFailed(Exception):
    """The intake's first failure (`error`), and whether any part had gone to the queue by
    then: a body refused before its first part leaves nothing behind."""

    def __init__(self, error: Exception, *, parts_sent: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.parts_sent = parts_sent


class _PartSender:
    """Sends parts with bounded concurrency; the first failed send fails the whole intake."""

    def __init__(self, queue: str, sends: asyncio.TaskGroup) -> None:
        self._queue = queue
        self._sends = sends
        self._slots = asyncio.Semaphore(SEND_CONCURRENCY)
        self.started = 0  # parts whose send began

    async def send(self, text: str) -> None:
        await self._slots.acquire()
        self.started += 1
        self._sends.create_task(self._send(text))

    async def _send(self, text: str) -> None:
        try:
            await queues.send(self._queue, text)
        except Exception as error:
            raise ServiceUnavailableError(
                f"The ingestion queue could not take a part ({type(error).__name__})."
            ) from error
        finally:
            self._slots.release()


@dataclass
class _Packing:
    """The packer, the duplicate finder and the sender, fed window by window."""

    packer: PartPacker
    occurrences: LastOccurrences
    sender: _PartSender
    slice_ends: float = 0.0

    async def share_the_loop(self) -> None:
        """Let other work run once SLICE_SECONDS of this one have passed."""
        if time.monotonic() >= self.slice_ends:
            await asyncio.sleep(0)
            self.slice_ends = time.monotonic() + SLICE_SECONDS

    async def pack(self, entries: list[WindowEntry]) -> None:
        for count, (number, _, key, text) in enumerate(entries):
            gathered = self.packer.add(number, key, text)
            if gathered:
                await self.send(gathered)
            if count % CLOCK_EVERY == 0:
                await self.share_the_loop()

    async def send(self, gathered: Gathered) -> None:
        """Pack a part's records in a worker thread (deflating them is zlib's work, done
        without the GIL, while the loop serves others), note where each went, and send."""
        for part in await asyncio.to_thread(self.packer.pack, gathered):
            for index, (number, key) in enumerate(part.records):
                self.occurrences.place(key, number=number, part=part.number, index=index)
            await self.sender.send(part.text)


async def _pack_and_send(
    *, import_id: str, body: bytes, media_type: str, sender: _PartSender
) -> Intake:
    packing = _Packing(PartPacker(import_id), LastOccurrences(), sender)
    window = CategoryWindow()
    for number, record in enumerate(import_records(body, media_type)):
        if number == MAX_IMPORT_RECORDS:
            raise PayloadTooLargeError(
                f"An import request may hold at most {MAX_IMPORT_RECORDS:,} records."
            )
        window.add(number, record)
        if window.full:
            await packing.pack(window.drain())
        if number % CLOCK_EVERY == 0:
            await packing.share_the_loop()
    await packing.pack(window.drain())
    last = packing.packer.finish()
    if not last:
        raise BadRequestError("The import contains no records.")
    await packing.send(last)
    superseded = packing.occurrences.superseded()
    return Intake(
        records=packing.packer.records, messages=packing.packer.parts, superseded=superseded
    )


async def enqueue_parts(*, import_id: str, body: bytes, media_type: str, queue: str) -> Intake:
    """Send every part of the body to `queue`. The first failure (a body that cannot be read,
    a record too large, a send that failed) raises `IntakeFailed`; parts sent before it stay
    on the queue."""
    sender: _PartSender | None = None
    try:
        async with asyncio.TaskGroup() as sends:
            sender = _PartSender(queue, sends)
            return await _pack_and_send(
                import_id=import_id, body=body, media_type=media_type, sender=sender
            )
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        sent = sender.started if sender else 0
        raise IntakeFailed(first, parts_sent=sent) from first.__cause__

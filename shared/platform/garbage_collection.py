"""The garbage collector, tuned for a worker that turns JSON into many short-lived objects.

CPython's cycle collector walks its youngest generation after every 2,000 net allocations of
container objects (dicts, lists, instances), and promotes what survives. An import part becomes
a few thousand dicts and lists that live for the hundreds of milliseconds its batches take: at
the default thresholds young collections walk them again and again, their promotion sets off
full collections, and a full collection walks every object the process holds (measured: 75 ms
each, and 7% of the host's CPU during a large import). Almost everything is freed by reference
counting anyway; the collector is only needed for cycles, which this code rarely makes.

So the objects start-up built (modules, classes, settings: they live as long as the process)
are frozen out of every later collection, and collections come ten times less often. The
young generation still holds a bounded number of objects (`YOUNG_COLLECTION_AFTER`), so memory
stays bounded too.
"""

from __future__ import annotations

import gc
from typing import Final

# Net allocations of container objects between collections of the youngest generation (2,000
# by default), and young collections between collections of the next (10 by default).
YOUNG_COLLECTION_AFTER: Final = 20_000
MIDDLE_COLLECTION_AFTER: Final = 20
OLD_COLLECTION_AFTER: Final = 20


def tune_for_bulk_work() -> None:
    """Freeze what exists now out of later collections, and collect less often. Call once,
    when the app has been imported."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, MIDDLE_COLLECTION_AFTER, OLD_COLLECTION_AFTER)

from __future__ import annotations

import pytest

from shared.ingest.batch_policy import Action, chunk, decide, deduplicate, group_by_partition
from tests.factories import record
from tests.unit.fakes import http_error, operation_error

# --- grouping, de-duplication, chunking ----------------------------------------------------


def test_records_are_grouped_by_partition_key_in_order() -> None:
    records = [record(0, "a"), record(1, "b"), record(2, "a")]
    assert {
        key: [r.index for r in group] for key, group in group_by_partition(records).items()
    } == {
        "a": [0, 2],
        "b": [1],
    }


def test_the_last_occurrence_of_an_id_wins() -> None:
    records = [
        record(0, item_id="x", price=1),
        record(1, item_id="y"),
        record(2, item_id="x", price=2),
    ]
    kept, superseded = deduplicate(records)
    assert [r.index for r in kept] == [1, 2]
    assert superseded == {0: 2}


def test_chunks_hold_at_most_100_operations() -> None:
    chunks = chunk([record(n) for n in range(250)])
    assert [len(c) for c in chunks] == [100, 100, 50]


def test_chunks_stay_within_the_byte_limit() -> None:
    records = [record(n, blob="x" * 300_000) for n in range(10)]
    chunks = chunk(records, max_bytes=1_200_000)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert all(sum(r.size for r in c) <= 1_200_000 for c in chunks)


def test_a_record_larger_than_the_chunk_limit_gets_a_chunk_of_its_own() -> None:
    records = [record(0), record(1, blob="x" * 1_500_000), record(2)]
    assert [[r.index for r in c] for c in chunk(records)] == [[0], [1], [2]]


# --- retry decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "size", "action"),
    [
        (http_error(429), 10, Action.WAIT_AND_RETRY),
        (http_error(503), 10, Action.WAIT_AND_RETRY),
        (http_error(408), 10, Action.WAIT_AND_RETRY),
        (http_error(449), 10, Action.WAIT_AND_RETRY),
        (TimeoutError(), 10, Action.WAIT_AND_RETRY),
        (ConnectionResetError(), 10, Action.WAIT_AND_RETRY),
        (operation_error(3, 400, 10), 10, Action.REJECT_FAILED_OPERATION),
        (operation_error(0, 413, 10), 10, Action.REJECT_FAILED_OPERATION),
        (http_error(413), 10, Action.SPLIT),
        (http_error(413), 1, Action.REJECT_RECORD),
        (http_error(400), 1, Action.REJECT_RECORD),
        (http_error(403), 10, Action.GIVE_UP),
        (http_error(404), 10, Action.GIVE_UP),
        (KeyError("bug"), 10, Action.GIVE_UP),
    ],
    ids=[
        "throttled",
        "unavailable",
        "timeout-408",
        "449",
        "timeout",
        "connection-reset",
        "failed-operation-400",
        "failed-operation-413",
        "too-large-batch",
        "too-large-record",
        "bad-record",
        "forbidden",
        "not-found",
        "bug",
    ],
)
def test_a_failed_batch_is_retried_split_or_given_up_by_its_error(
    error: BaseException, size: int, action: Action
) -> None:
    assert decide(error, size) is action


def test_a_record_is_sized_as_the_client_sends_it_utf8_not_escaped() -> None:
    plain = record(0, name="x" * 3_000)
    accented = record(0, name="é" * 3_000)
    assert accented.size - plain.size == 3_000  # é is 2 bytes of UTF-8, not a 6-byte escape

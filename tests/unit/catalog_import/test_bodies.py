"""Records split into request bodies that each stay within the API's request size."""

from __future__ import annotations

import pytest

from catalog_import.bodies import RecordTooLargeError, RequestBodies


def bodies(records: list[bytes], max_bytes: int) -> tuple[list[bytes], list[int]]:
    split = RequestBodies(iter(records), max_bytes=max_bytes)
    sent = [b"".join(body) for body in split]
    return sent, split.records


def test_records_that_fit_travel_in_one_ndjson_body() -> None:
    sent, counts = bodies([b'{"a":1}', b'{"b":2}'], max_bytes=1000)
    assert sent == [b'{"a":1}\n{"b":2}\n'] and counts == [2]


def test_records_beyond_the_limit_start_another_body_and_none_is_lost_or_split() -> None:
    records = [b'{"n":%d}' % n for n in range(100)]  # 7-8 bytes + newline each
    sent, counts = bodies(records, max_bytes=100)
    assert all(len(body) <= 100 for body in sent)
    assert len(sent) > 1 and sum(counts) == 100
    assert b"".join(sent).split(b"\n")[:-1] == records


def test_a_record_larger_than_a_request_is_refused() -> None:
    with pytest.raises(RecordTooLargeError):
        bodies([b"x" * 200], max_bytes=100)

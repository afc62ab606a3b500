"""Records split into request bodies that each stay within the API's request size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog_import.bodies import API_LIMIT_BYTES, DEFAULT_REQUEST_BYTES, RequestBodies
from catalog_import.errors import RecordTooLargeError


def bodies(records: list[bytes], max_bytes: int) -> tuple[list[bytes], list[int]]:
    split = RequestBodies(iter(records), max_bytes=max_bytes)
    sent = list(split)
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


def test_a_body_is_whole_bytes_so_that_a_retry_can_send_it_again() -> None:
    (body,), _ = bodies([b'{"a":1}'], max_bytes=1000)
    assert isinstance(body, bytes)


def test_bodies_are_read_one_at_a_time_as_they_are_asked_for() -> None:
    read: list[int] = []

    def records() -> Iterator[bytes]:
        for n in range(30):
            read.append(n)
            yield b'{"n":%02d}' % n  # 8 bytes and a newline: 11 in a body of 100

    split = iter(RequestBodies(records(), max_bytes=100))
    next(split)
    assert len(read) == 12  # the first body's, and the one that did not fit


def test_the_default_request_size_is_a_few_mib_and_within_the_api_s_limit() -> None:
    assert DEFAULT_REQUEST_BYTES == 4 * 1024 * 1024 <= API_LIMIT_BYTES

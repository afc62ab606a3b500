"""Request parsing of the product routes: conditional headers and page sizes."""

from __future__ import annotations

import pytest

from shared.api.products import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    matches_if_none_match,
    parse_page_size,
)
from shared.platform.errors import BadRequestError
from tests.factories import http_request

CURRENT = '"00000000-0000-0000-0000-000000000001"'


def with_if_none_match(value: str) -> bool:
    return matches_if_none_match(http_request(headers={"if-none-match": value}), CURRENT)


def test_if_none_match_matches_the_current_etag() -> None:
    assert with_if_none_match(CURRENT)


def test_if_none_match_matches_the_current_etag_in_a_list_or_weak() -> None:
    assert with_if_none_match(f'"other", {CURRENT}')
    assert with_if_none_match(f"W/{CURRENT}")


def test_if_none_match_star_matches_any_etag() -> None:
    assert with_if_none_match("*")


def test_if_none_match_naming_another_etag_does_not_match() -> None:
    assert not with_if_none_match('"other"')


def test_no_if_none_match_does_not_match() -> None:
    assert not matches_if_none_match(http_request(), CURRENT)


def test_the_page_size_defaults_when_no_limit_is_given() -> None:
    assert parse_page_size(http_request()) == DEFAULT_PAGE_SIZE


@pytest.mark.parametrize("limit", ["1", "37", str(MAX_PAGE_SIZE)])
def test_a_limit_within_bounds_is_the_page_size(limit: str) -> None:
    assert parse_page_size(http_request(params={"limit": limit})) == int(limit)


@pytest.mark.parametrize(
    "limit",
    ["0", str(MAX_PAGE_SIZE + 1), "-1", "1.5", "", " 5", "²", "٣", "9" * 5000],
    ids=["zero", "over", "negative", "fraction", "empty", "space", "super", "arabic", "long"],
)
def test_a_limit_out_of_bounds_or_not_ascii_digits_is_400(limit: str) -> None:
    with pytest.raises(BadRequestError):
        parse_page_size(http_request(params={"limit": limit}))

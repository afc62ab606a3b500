"""Page sizes from the limit query parameter."""

from __future__ import annotations

import pytest

from shared.api.params import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parse_page_size
from shared.platform.errors import BadRequestError
from tests.factories import http_request


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

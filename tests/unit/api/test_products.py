"""Request parsing of the product routes: conditional headers."""

from __future__ import annotations

from shared.api.products import matches_if_none_match
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

"""Continuation tokens: opaque to clients, bound to the listing that issued them, and refused
when not this service's own."""

from __future__ import annotations

import base64
import json

import pytest

from shared.catalog.continuation import (
    ContinuationOfAnotherListingError,
    InvalidContinuationError,
    issue,
    redeem,
)
from shared.platform.json_input import MAX_DEPTH

COSMOS_TOKEN = '[{"token":"+RID:~abc==#RT:1#TRC:10","range":{"min":"","max":"FF"}}]'
LISTING = "categories/bikes/products"


def test_a_cosmos_token_survives_the_round_trip_on_its_own_listing() -> None:
    assert redeem(issue(COSMOS_TOKEN, listing=LISTING), listing=LISTING) == COSMOS_TOKEN


@pytest.mark.parametrize(
    "elsewhere",
    ["categories/bike/products", "categories/bikes/products/", "imports/bikes/rejects"],
)
def test_a_token_is_refused_on_any_other_listing(elsewhere: str) -> None:
    token = issue(COSMOS_TOKEN, listing=LISTING)
    with pytest.raises(ContinuationOfAnotherListingError) as refused:
        redeem(token, listing=elsewhere)
    assert refused.value.status == 400


def test_the_token_is_url_safe_and_does_not_grow_with_the_listing() -> None:
    token = issue(COSMOS_TOKEN + "\xff?&/+", listing="categories/" + "c" * 255 + "/products")
    assert token is not None and "c" * 10 not in base64.urlsafe_b64decode(token).decode()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def test_no_token_means_the_first_page_and_the_last_page_has_none() -> None:
    assert redeem(None, listing=LISTING) is None and redeem("", listing=LISTING) is None
    assert issue(None, listing=LISTING) is None and issue("", listing=LISTING) is None


def wrapped(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def nested(levels: int) -> object:
    value: object = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        wrapped(["cosmos"]),
        wrapped({"cosmos": 1}),
        wrapped({"cosmos": ""}),
        wrapped({"other": "x"}),
        wrapped({"cosmos": nested(MAX_DEPTH + 1)}),
        "é",
    ],
    ids=["not-base64", "not-json", "not-object", "not-text", "empty", "no-cosmos", "deep", "é"],
)
def test_a_token_this_service_did_not_write_is_refused(token: str) -> None:
    with pytest.raises(InvalidContinuationError):
        redeem(token, listing=LISTING)


def test_a_token_without_its_listing_is_refused() -> None:
    with pytest.raises(ContinuationOfAnotherListingError):
        redeem(wrapped({"cosmos": COSMOS_TOKEN}), listing=LISTING)


@pytest.mark.parametrize("inner", ["a\r\nb", "\x00", "a\x7fb", "tab\there", "é", "\u2028"])
def test_a_forged_inner_token_that_cannot_be_a_header_is_refused(inner: str) -> None:
    forged = issue(inner, listing=LISTING)  # bound to the right listing, as a client can forge
    with pytest.raises(InvalidContinuationError):
        redeem(forged, listing=LISTING)

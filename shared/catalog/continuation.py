"""Continuation tokens: the SDK's token wrapped into an opaque, URL-safe token that names the
listing which issued it.

A listing is what a token pages through (a category's products, an import's rejects), named by
its path. A token used on another listing is refused (400) rather than handed to Cosmos DB,
which would resume that listing at the same position and silently skip its first items. The
listing is kept as a digest, so a token does not grow with a long id; it binds a token to its
listing, it is not a secret (a client can read and forge any of its own tokens).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from shared.platform.errors import BadRequestError
from shared.platform.json_input import JsonInputError, loads

_DIGEST_CHARACTERS = 22  # of the listing's SHA-256 in base64url: 132 bits


class InvalidContinuationError(BadRequestError):
    def __init__(self) -> None:
        super().__init__("The continuation token is not valid.")


class ContinuationOfAnotherListingError(BadRequestError):
    def __init__(self) -> None:
        super().__init__(
            "The continuation token was issued for another listing; pass the token of a page "
            "of this one, or none for the first page."
        )


def _digest(listing: str) -> str:
    hashed = hashlib.sha256(listing.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(hashed).decode()[:_DIGEST_CHARACTERS]


def _fits_a_header(inner: str) -> bool:
    """The SDK sends the inner token as a header (x-ms-continuation): printable ASCII only, as
    every token Cosmos DB issues is; a forged CR, LF or NUL would fail the request itself."""
    return bool(inner) and inner.isascii() and inner.isprintable()


def issue(cosmos_token: str | None, *, listing: str) -> str | None:
    """The client's token for the next page of `listing` (None after the last page)."""
    if not cosmos_token:
        return None
    token = {"cosmos": cosmos_token, "for": _digest(listing)}
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode()


def redeem(token: str | None, *, listing: str) -> str | None:
    """The SDK's token inside `token`, which must have been issued for `listing`; None for the
    first page. 400 for a token this service did not write, or wrote for another listing."""
    if not token:
        return None
    try:
        decoded = loads(base64.b64decode(token.encode(), altchars=b"-_", validate=True))
    except (binascii.Error, UnicodeEncodeError, JsonInputError):
        raise InvalidContinuationError() from None
    inner = decoded.get("cosmos") if isinstance(decoded, dict) else None
    if not isinstance(inner, str) or not _fits_a_header(inner):
        raise InvalidContinuationError()
    if decoded.get("for") != _digest(listing):
        raise ContinuationOfAnotherListingError()
    return inner

"""The catalog's import routes over HTTP, with errors as one-line messages.

Every request is retried after 429, 502, 503 and 504 answers, timeouts and lost connections, a
bounded number of times (`RetryPolicy`). Starting an import is safe to retry: each body is sent
with an idempotency key of its own, the same key and the same bytes on every attempt, so the
API answers a retry with the import the first attempt started instead of starting another.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import ProtocolError

from catalog_import.errors import ApiError, RetryableApiError
from catalog_import.retries import RetryPolicy, retry_after_seconds
from shared.platform.limits import NDJSON_MEDIA_TYPE

__all__ = ["ApiError", "CatalogApi", "RetryableApiError", "StartedImport"]

IDEMPOTENCY_KEY = "Idempotency-Key"
# 502 and 504 are what a gateway in front of the host answers when the host restarts or is slow:
# as safe to retry as a timeout, since every request either reads or carries an idempotency key.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
CONNECT_SECONDS, READ_SECONDS = 10.0, 60.0


@dataclass(frozen=True)
class StartedImport:
    import_id: str
    records: int


class CatalogApi:
    def __init__(
        self,
        base_url: str,
        *,
        key: str | None = None,
        retry: RetryPolicy | None = None,
        timeouts: tuple[float, float] = (CONNECT_SECONDS, READ_SECONDS),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts
        self.sleep = sleep
        self.session = requests.Session()
        if key:
            self.session.headers["x-functions-key"] = key

    def _request(self, method: str, path: str, **options: Any) -> requests.Response:
        """One attempt; `RetryableApiError` when another may succeed."""
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeouts, **options)
        except requests.ConnectionError as error:
            if _lost(error):
                message = f"the connection to the API at {self.base_url} was lost ({method} {path})"
                raise RetryableApiError(message) from None
            raise RetryableApiError(f"cannot reach the API at {self.base_url}") from None
        except requests.Timeout:
            message = f"the API at {self.base_url} did not answer {method} {path} in time"
            raise RetryableApiError(message) from None
        if response.status_code in RETRYABLE_STATUSES:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            raise RetryableApiError(_refusal(method, path, response), retry_after=retry_after)
        if response.status_code >= 400:
            raise ApiError(_refusal(method, path, response), line=_line_named(response))
        return response

    def _retried(self, method: str, path: str, **options: Any) -> requests.Response:
        """The request, sent again as the retry policy says; the last error when none worked."""
        failed = 0
        while True:
            try:
                return self._request(method, path, **options)
            except RetryableApiError as error:
                failed += 1
                if failed >= self.retry.attempts:
                    attempts = f"{failed} attempt{'s' if failed > 1 else ''}"
                    raise ApiError(f"{error} (gave up after {attempts})") from error
                self.sleep(self.retry.delay(failed_attempts=failed, retry_after=error.retry_after))

    def start_import(self, body: bytes) -> StartedImport:
        """POST one NDJSON body to /imports under an idempotency key of its own."""
        headers = {"content-type": NDJSON_MEDIA_TYPE, IDEMPOTENCY_KEY: str(uuid.uuid4())}
        accepted = self._retried("POST", "/imports", data=body, headers=headers).json()
        return StartedImport(import_id=accepted["importId"], records=accepted["records"])

    def progress(self, import_id: str) -> dict[str, Any]:
        return dict(self._retried("GET", f"/imports/{import_id}").json())

    def first_rejects(self, import_id: str, *, limit: int) -> list[dict[str, Any]]:
        page = self._retried("GET", f"/imports/{import_id}/rejects", params={"limit": limit})
        return list(page.json()["items"])


def _lost(error: requests.ConnectionError) -> bool:
    """Whether an established connection broke (rather than none could be made)."""
    cause = error.args[0] if error.args else None
    return isinstance(cause, ProtocolError)


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        problem = response.json()
    except ValueError:
        return {}
    return problem if isinstance(problem, dict) else {}


def _line_named(response: requests.Response) -> int | None:
    """The line of the request's body a refusal names (`line` in the problem), if any."""
    line = _problem(response).get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None


def _refusal(method: str, path: str, response: requests.Response) -> str:
    """`METHOD path answered status reason: detail`, from a problem+json answer where there is
    one."""
    detail = _problem(response).get("detail")
    message = f"{method} {path} answered {response.status_code} {response.reason}"
    return f"{message}: {detail}" if detail else message

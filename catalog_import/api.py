"""The catalog's import routes over HTTP, with errors as one-line messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

NDJSON = "application/x-ndjson"
RETRIES = 5  # for reads answered 429 or 503, or that could not connect
CONNECT_SECONDS, READ_SECONDS = 10, 300


class ApiError(Exception):
    """The API could not be reached or refused a request; the message is one line."""


class RetryableApiError(ApiError):
    """Worth asking again after `retry_after` seconds: 429, 503, or no connection."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class StartedImport:
    import_id: str
    records: int


class CatalogApi:
    def __init__(self, base_url: str, *, key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if key:
            self.session.headers["x-functions-key"] = key

    def _request(self, method: str, path: str, **options: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(
                method, url, timeout=(CONNECT_SECONDS, READ_SECONDS), **options
            )
        except requests.ConnectionError:
            raise RetryableApiError(f"cannot reach the API at {self.base_url}") from None
        except requests.Timeout:
            raise ApiError(f"the API at {self.base_url} did not answer in time") from None
        if response.status_code in (429, 503):
            retry_after = _seconds(response.headers.get("Retry-After"))
            raise RetryableApiError(_refusal(method, path, response), retry_after=retry_after)
        if response.status_code >= 400:
            raise ApiError(_refusal(method, path, response))
        return response

    def start_import(self, body: Iterator[bytes]) -> StartedImport:
        """Stream one NDJSON body to POST /imports."""
        response = self._request("POST", "/imports", data=body, headers={"content-type": NDJSON})
        accepted = response.json()
        return StartedImport(import_id=accepted["importId"], records=accepted["records"])

    def _read(self, path: str, **options: Any) -> Any:
        """GET, retried after 429 and 503 (as long as Retry-After says) and lost connections."""
        for _ in range(RETRIES - 1):
            try:
                return self._request("GET", path, **options).json()
            except RetryableApiError as error:
                time.sleep(error.retry_after)
        return self._request("GET", path, **options).json()

    def progress(self, import_id: str) -> dict[str, Any]:
        return dict(self._read(f"/imports/{import_id}"))

    def first_rejects(self, import_id: str, *, limit: int) -> list[dict[str, Any]]:
        page = self._read(f"/imports/{import_id}/rejects", params={"limit": limit})
        return list(page["items"])


def _seconds(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 1), 0.1), 60.0)
    except ValueError:
        return 1.0


def _refusal(method: str, path: str, response: requests.Response) -> str:
    """`METHOD path: status title: detail`, from a problem+json answer where there is one."""
    try:
        problem = response.json()
        detail = problem.get("detail") if isinstance(problem, dict) else None
    except ValueError:
        detail = None
    message = f"{method} {path} answered {response.status_code} {response.reason}"
    return f"{message}: {detail}" if detail else message

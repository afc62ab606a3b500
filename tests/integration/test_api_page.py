"""The API page in a real headless browser (Debian's Chromium driven by Playwright): it lists every
operation of the document, a request tried from it is answered, and it loads nothing but this
app's own files (it works offline)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.conftest import Api

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
HOW_TO_GET_ONE = (
    "no Chromium: install Debian's (apt-get install -y chromium) or set CHROMIUM to a Chromium "
    "or Chrome binary; .ci/run installs it, so CI always runs this test"
)


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM") or next(
        (path for path in CHROMIUM_PATHS if Path(path).exists()), shutil.which("chromium")
    )
    return found or None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(HOW_TO_GET_ONE)
        pytest.skip(HOW_TO_GET_ONE)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@dataclass
class ApiPage:
    page: Page
    requested: list[str] = field(default_factory=list)  # every URL the page asked for


@pytest.fixture
def api_page(browser: Browser, api: Api) -> Iterator[ApiPage]:
    """The API page, loaded and rendered."""
    loaded = ApiPage(browser.new_page())
    loaded.page.on("request", lambda request: loaded.requested.append(request.url))
    loaded.page.goto(f"{api.base_url}/docs")
    loaded.page.wait_for_selector("#swagger-ui .opblock", timeout=30_000)
    yield loaded
    loaded.page.close()


def test_the_page_lists_every_operation_of_the_document(api_page: ApiPage, api: Api) -> None:
    page = api_page.page
    document = api.get("/openapi.json").json()
    documented = {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }
    listed = {
        (
            block.locator(".opblock-summary-method").inner_text().strip(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator("#swagger-ui .opblock").all()
    }
    assert listed == documented


def test_trying_get_health_from_the_page_shows_200(api_page: ApiPage) -> None:
    page = api_page.page
    health = page.locator("#swagger-ui .opblock").filter(
        has=page.locator('.opblock-summary-path[data-path="/health"]')
    )
    health.locator(".opblock-summary").first.click()
    health.locator("button.try-out__btn").click()
    health.locator("button.execute").click()
    status = health.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(timeout=30_000)
    assert status.inner_text().strip() == "200"


def test_the_page_loads_nothing_from_anywhere_else(api_page: ApiPage, api: Api) -> None:
    origin = urlsplit(api.base_url).netloc
    requested = api_page.requested
    assert requested and all(urlsplit(url).netloc == origin for url in requested), requested

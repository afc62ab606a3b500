"""A fake catalog API over real HTTP for the command's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.catalog_import.fake_api import FakeApi


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    with FakeApi() as running:
        yield running

"""HEAD and OPTIONS over real HTTP through the development host: HEAD on every route that serves
GET answers with the GET's headers and no body; OPTIONS on every route names what it serves."""

from __future__ import annotations

import pytest

from tests.factories import catalog
from tests.integration.conftest import Api
from tests.integration.test_ingestion import finished, start_import
from tests.integration.test_products_api import create, path_of


@pytest.fixture(scope="module")
def get_routes(api: Api) -> list[str]:
    product = create(api)
    import_id = start_import(api, catalog(4, categories=1, invalid_every=2))
    finished(api, import_id)
    return [
        path_of(product),
        f"/categories/{product['categoryId']}/products",
        f"/imports/{import_id}",
        f"/imports/{import_id}/rejects",
        "/health",
        "/openapi.json",
    ]


def test_head_on_every_get_route_gives_the_get_s_headers_and_no_body(
    api: Api, get_routes: list[str]
) -> None:
    for path in get_routes:
        got, head = api.get(path), api.request("HEAD", path)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        for header in ("Content-Type", "Content-Length", "ETag"):
            assert head.headers.get(header) == got.headers.get(header), (path, header)


ROUTES = {
    "/products": "OPTIONS, POST",
    "/products/c/p": "DELETE, GET, HEAD, OPTIONS, PATCH, PUT",
    "/categories/c/products": "DELETE, GET, HEAD, OPTIONS",
    "/categories/c/batch": "OPTIONS, POST",
    "/imports": "OPTIONS, POST",
    "/imports/00000000-0000-0000-0000-000000000000": "GET, HEAD, OPTIONS",
    "/imports/00000000-0000-0000-0000-000000000000/rejects": "GET, HEAD, OPTIONS",
    "/health": "GET, HEAD, OPTIONS",
    "/openapi.json": "GET, HEAD, OPTIONS",
}


@pytest.mark.parametrize(("path", "allow"), ROUTES.items(), ids=ROUTES.keys())
def test_options_on_every_route_answers_what_it_serves(api: Api, path: str, allow: str) -> None:
    response = api.request("OPTIONS", path)
    assert (response.status_code, response.headers["Allow"], response.content) == (204, allow, b"")


def test_head_on_a_route_without_get_is_405_naming_what_it_serves(api: Api) -> None:
    response = api.request("HEAD", "/products")
    assert (response.status_code, response.headers["Allow"]) == (405, "OPTIONS, POST")

"""A continuation token pages only the listing that issued it (a category's products, an import's
rejects), over real HTTP into the local endpoint; a token that is not right is refused before
any query is built."""

from __future__ import annotations

import base64
import json
import time

from devtools.stack import LocalStack
from tests.factories import catalog, product_json, unique
from tests.integration.conftest import Api
from tests.integration.test_ingestion import finished, start_import
from tests.integration.test_products_api import assert_problem


def first_page_token(api: Api, path: str, *, limit: int) -> str:
    response = api.get(path, params={"limit": limit})
    assert response.status_code == 200, response.text
    return str(response.json()["continuation"])


def category_with_products(api: Api, count: int) -> str:
    category = unique("cat")
    for _ in range(count):
        assert api.post("/products", json=product_json(categoryId=category)).status_code == 201
    return category


def import_with_rejects(api: Api, rejects: int) -> str:
    import_id = start_import(api, catalog(rejects * 2, categories=1, invalid_every=2))
    assert finished(api, import_id)["rejected"] == rejects
    return import_id


def test_a_rejects_token_of_one_import_is_refused_on_another(api: Api) -> None:
    first, second = import_with_rejects(api, 10), import_with_rejects(api, 10)
    token = first_page_token(api, f"/imports/{first}/rejects", limit=5)
    response = api.get(f"/imports/{second}/rejects", params={"limit": 5, "continuation": token})
    assert "another listing" in assert_problem(response, 400)["detail"]
    response = api.get(f"/imports/{first}/rejects", params={"limit": 5, "continuation": token})
    assert [entry["index"] for entry in response.json()["items"]] == [10, 12, 14, 16, 18]


def test_a_category_token_is_refused_on_another_category_and_on_rejects(api: Api) -> None:
    first, second = category_with_products(api, 3), category_with_products(api, 3)
    token = first_page_token(api, f"/categories/{first}/products", limit=1)
    params = {"limit": 1, "continuation": token}
    assert_problem(api.get(f"/categories/{second}/products", params=params), 400)
    import_id = import_with_rejects(api, 2)
    assert_problem(api.get(f"/imports/{import_id}/rejects", params=params), 400)
    assert api.get(f"/categories/{first}/products", params=params).json()["count"] == 1


def test_a_bad_token_is_refused_before_any_query_is_built(api: Api, stack: LocalStack) -> None:
    """A query built and dropped leaves a coroutine that was never awaited: the host logs it."""
    (host,) = [service for service in stack.services if service.name == "devhost"]
    logged_before = host.log_path.stat().st_size
    import_id = import_with_rejects(api, 2)
    forged = base64.urlsafe_b64encode(json.dumps({"cosmos": "+RID:x"}).encode()).decode()
    for token in ("92", forged):
        for path in (f"/categories/{unique('cat')}/products", f"/imports/{import_id}/rejects"):
            assert_problem(api.get(path, params={"continuation": token}), 400)
    assert api.get("/health").status_code == 200
    time.sleep(0.5)
    with host.log_path.open("rb") as log:
        log.seek(logged_before)
        written = log.read().decode(errors="replace")
    assert "never awaited" not in written

from __future__ import annotations

import function_app


def routes() -> dict[str, tuple[str, frozenset[str]]]:
    indexed = {}
    for function in function_app.app.get_functions():
        trigger = function.get_trigger().get_dict_repr()
        if trigger["type"] == "httpTrigger":
            methods = frozenset(str(getattr(m, "value", m)) for m in trigger["methods"])
            indexed[function.get_function_name()] = (trigger["route"], methods)
    return indexed


def test_every_product_route_is_indexed() -> None:
    assert routes() == {
        "create_product": ("products", frozenset({"POST"})),
        "read_product": ("products/{categoryId}/{id}", frozenset({"GET"})),
        "replace_product": ("products/{categoryId}/{id}", frozenset({"PUT"})),
        "patch_product": ("products/{categoryId}/{id}", frozenset({"PATCH"})),
        "delete_product": ("products/{categoryId}/{id}", frozenset({"DELETE"})),
        "list_category_products": ("categories/{categoryId}/products", frozenset({"GET"})),
        "delete_category_products": ("categories/{categoryId}/products", frozenset({"DELETE"})),
        "health": ("health", frozenset({"GET"})),
    }

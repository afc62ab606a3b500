from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import function_app
from shared.api.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[2]


@cache
def functions() -> list[Any]:
    """The app's functions; get_functions() may be called only once per app."""
    return function_app.app.get_functions()


def routes() -> dict[str, tuple[str, frozenset[str]]]:
    indexed = {}
    for function in functions():
        trigger = function.get_trigger().get_dict_repr()
        if trigger["type"] == "httpTrigger":
            methods = frozenset(str(getattr(m, "value", m)) for m in trigger["methods"])
            indexed[function.get_function_name()] = (trigger["route"], methods)
    return indexed


READ = frozenset({"GET", "HEAD", "OPTIONS"})


def test_every_product_route_is_indexed() -> None:
    assert routes() == {
        "create_product": ("products", frozenset({"POST", "OPTIONS"})),
        "read_product": ("products/{categoryId}/{id}", READ),
        "replace_product": ("products/{categoryId}/{id}", frozenset({"PUT"})),
        "patch_product": ("products/{categoryId}/{id}", frozenset({"PATCH"})),
        "delete_product": ("products/{categoryId}/{id}", frozenset({"DELETE"})),
        "list_category_products": ("categories/{categoryId}/products", READ),
        "delete_category_products": ("categories/{categoryId}/products", frozenset({"DELETE"})),
        "run_category_batch": ("categories/{categoryId}/batch", frozenset({"POST", "OPTIONS"})),
        "start_import": ("imports", frozenset({"POST", "OPTIONS"})),
        "read_import": ("imports/{importId}", READ),
        "list_import_rejects": ("imports/{importId}/rejects", READ),
        "health": ("health", READ),
        "openapi": ("openapi.json", READ),
        "api_page": ("docs", READ),
        "api_page_asset": ("docs/{asset}", READ),
    }


def test_every_get_declares_head_and_every_route_declares_options_once() -> None:
    by_route: dict[str, list[frozenset[str]]] = {}
    for route, methods in routes().values():
        by_route.setdefault(route, []).append(methods)
        if "GET" in methods:
            assert "HEAD" in methods
    for route, declared in by_route.items():
        assert sum("OPTIONS" in methods for methods in declared) == 1, route


def test_ingestion_is_a_queue_trigger_on_the_configured_queue() -> None:
    triggers = {
        function.get_function_name(): function.get_trigger().get_dict_repr()
        for function in functions()
    }
    ingest = triggers["ingest_products"]
    assert ingest["type"] == "queueTrigger"
    assert ingest["queueName"] == "product-ingest"  # INGEST_QUEUE, or its default
    assert ingest["connection"] == "AzureWebJobsStorage"


def auth_levels() -> dict[str, str]:
    levels = {}
    for function in functions():
        trigger = function.get_trigger().get_dict_repr()
        if trigger["type"] == "httpTrigger":
            level = trigger["authLevel"]  # an AuthLevel, or its name when set per route
            levels[function.get_function_name()] = str(getattr(level, "name", level)).upper()
    return levels


def test_product_routes_need_a_function_key_in_azure_and_health_does_not() -> None:
    levels = auth_levels()
    for anonymous in ("health", "openapi", "api_page", "api_page_asset"):
        assert levels.pop(anonymous) == "ANONYMOUS"
    assert set(levels.values()) == {"FUNCTION"}


def test_the_document_requires_a_key_exactly_where_azure_checks_one() -> None:
    levels = auth_levels()
    for methods in openapi_document()["paths"].values():
        for operation in methods.values():
            keyed = levels[operation["operationId"]] != "ANONYMOUS"
            assert bool(operation["security"]) == keyed, operation["operationId"]
            assert ("401" in operation["responses"]) == keyed


def test_the_openapi_document_describes_exactly_the_registered_routes() -> None:
    documented = {
        operation["operationId"]: (path.removeprefix("/"), frozenset({method.upper()}))
        for path, methods in openapi_document()["paths"].items()
        for method, operation in methods.items()
    }
    registered = {  # HEAD and OPTIONS are the edge's, the same for every route: not operations
        name: (re.sub(r"\{(\w+)[^}]*\}", r"{\1}", route), methods - {"HEAD", "OPTIONS"})
        for name, (route, methods) in routes().items()
    }
    assert documented == registered


def _printed_by_a_fresh_import(probe: str) -> str:
    """What `probe` prints in a fresh interpreter, with the app's settings and no telemetry."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS"))
    }
    env["COSMOS_ENDPOINT"] = "https://127.0.0.1:8081/"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


def test_a_cold_start_imports_neither_the_storage_sdk_nor_any_telemetry_module() -> None:
    """Bulk writes, imports and telemetry cost nothing until used (no exporter configured)."""
    probe = (
        "import sys, function_app\n"
        "heavy = ('opentelemetry', 'azure.monitor', 'azure.storage', 'shared.ingest.executor')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    assert _printed_by_a_fresh_import(probe) == "[]"


def test_once_imported_the_app_freezes_what_start_up_built_and_keeps_the_thresholds() -> None:
    probe = (
        "import gc\nthresholds = gc.get_threshold()\nimport function_app\n"
        "print(gc.get_threshold() == thresholds, gc.get_freeze_count() > 10_000)"
    )
    assert _printed_by_a_fresh_import(probe) == "True True"

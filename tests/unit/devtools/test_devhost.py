from __future__ import annotations

from datetime import timedelta

import azure.functions as func
import pytest

from devtools.devhost.config import (
    HostConfigError,
    QueueOptions,
    apply_overrides,
    parse_timespan,
    queue_lease,
)
from devtools.devhost.functions import (
    ALL_METHODS,
    FunctionMetadata,
    index_functions,
    route_pattern,
    served_methods,
)


@pytest.mark.parametrize(
    ("route", "path", "values"),
    [
        ("products/{categoryId}/{id}", "/products/bikes/42", {"categoryId": "bikes", "id": "42"}),
        ("products/{categoryId}/{id}", "/PRODUCTS/bikes/42/", {"categoryId": "bikes", "id": "42"}),
        ("items/{id:int}", "/items/7", {"id": "7"}),
        ("items/{id?}", "/items", {"id": None}),
        ("files/{*rest}", "/files/a/b/c", {"rest": "a/b/c"}),
    ],
)
def test_route_templates_match_like_the_host(
    route: str, path: str, values: dict[str, object]
) -> None:
    match = route_pattern(route).fullmatch(path)
    assert match is not None and match.groupdict() == values


def test_route_templates_do_not_match_other_paths() -> None:
    assert route_pattern("products/{categoryId}/{id}").fullmatch("/products/bikes") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:00:02", timedelta(seconds=2)),
        ("00:01:00", timedelta(minutes=1)),
        ("00:00:00.5", timedelta(milliseconds=500)),
        ("1.02:00:00", timedelta(days=1, hours=2)),
    ],
    ids=["seconds", "minutes", "fraction", "days"],
)
def test_host_json_timespans_read_as_dotnet_timespans_do(text: str, expected: timedelta) -> None:
    assert parse_timespan(text) == expected


def test_queue_options_default_like_the_host() -> None:
    options = QueueOptions.from_host_json({"batchSize": 32})
    assert options.new_batch_threshold == 16 and options.max_dequeue_count == 5
    assert options.message_encoding == "base64"


def test_unknown_message_encoding_is_refused() -> None:
    with pytest.raises(HostConfigError):
        QueueOptions.from_host_json({"messageEncoding": "utf16"})


def test_a_message_is_leased_for_the_host_s_ten_minutes_unless_the_devhost_is_told() -> None:
    assert QueueOptions().lease == queue_lease({}) == timedelta(minutes=10)
    assert queue_lease({"DEVHOST_QUEUE_LEASE_SECONDS": "2"}) == timedelta(seconds=2)


@pytest.mark.parametrize("value", ["1", "1.5", "-2", "ten", "604801"])
def test_a_lease_the_storage_service_would_refuse_stops_start_up_naming_the_variable(
    value: str,
) -> None:
    with pytest.raises(HostConfigError, match="DEVHOST_QUEUE_LEASE_SECONDS"):
        queue_lease({"DEVHOST_QUEUE_LEASE_SECONDS": value})


def test_environment_overrides_host_json_settings() -> None:
    host_json = {"extensions": {"queues": {"maxDequeueCount": 5}}}
    env = {"AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2", "OTHER": "x"}
    assert apply_overrides(host_json, env) == {"extensions": {"queues": {"maxDequeueCount": "2"}}}


def test_setting_references_resolve_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from devtools.devhost.config import resolve_setting_references

    monkeypatch.setenv("QUEUE_NAME", "orders")
    assert resolve_setting_references("%QUEUE_NAME%") == "orders"
    assert resolve_setting_references("plain") == "plain"
    monkeypatch.delenv("QUEUE_NAME")
    with pytest.raises(HostConfigError, match="QUEUE_NAME"):
        resolve_setting_references("%QUEUE_NAME%")


def metadata_of(app: func.FunctionApp) -> list[FunctionMetadata]:
    """What the worker reports for `app`: each function's bindings as JSON."""
    return [
        FunctionMetadata(function.get_function_name(), str(n), function.get_raw_bindings())
        for n, function in enumerate(app.get_functions())
    ]


def test_unsupported_triggers_are_refused_with_the_function_named() -> None:
    app = func.FunctionApp()

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    def cleanup(timer: func.TimerRequest) -> None: ...

    with pytest.raises(HostConfigError, match=r"cleanup.*timerTrigger"):
        index_functions(metadata_of(app))


def test_unsupported_bindings_are_refused() -> None:
    app = func.FunctionApp()

    @app.route(route="x")
    @app.queue_output(arg_name="out", queue_name="q", connection="AzureWebJobsStorage")
    def send(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse: ...

    with pytest.raises(HostConfigError, match="send"):
        index_functions(metadata_of(app))


def test_a_function_serves_what_it_declares_and_head_with_get() -> None:
    app = func.FunctionApp()

    @app.route(route="a", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    def post_only(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.route(route="b", methods=["GET", "OPTIONS"])
    def get_and_options(req: func.HttpRequest) -> func.HttpResponse: ...

    served = {f.name: (f.methods, f.auth_level) for f in index_functions(metadata_of(app)).http}
    assert served == {
        "post_only": (frozenset({"POST"}), "anonymous"),
        "get_and_options": (frozenset({"GET", "HEAD", "OPTIONS"}), "function"),
    }


def test_a_trigger_that_declares_no_method_serves_every_method() -> None:
    assert served_methods([]) == ALL_METHODS and "HEAD" in ALL_METHODS


def test_http_and_queue_triggers_are_indexed_from_the_worker_s_metadata() -> None:
    app = func.FunctionApp()

    @app.route(route="items/{id}", methods=["GET", "PUT"])
    def item(req: func.HttpRequest) -> func.HttpResponse: ...

    @app.queue_trigger(arg_name="msg", queue_name="orders", connection="Storage")
    def order(msg: func.QueueMessage) -> None: ...

    index = index_functions(metadata_of(app))
    (http,) = index.http
    assert (http.name, http.route, http.methods, http.binding_name, http.auth_level) == (
        "item",
        "items/{id}",
        frozenset({"GET", "HEAD", "PUT"}),  # HEAD with GET, as the host routes it
        "req",
        "function",
    )
    (queue,) = index.queues
    assert (queue.queue_name, queue.connection, queue.binding_name) == ("orders", "Storage", "msg")

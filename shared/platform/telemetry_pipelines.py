"""How telemetry leaves the process: the exporters the settings choose and the SDK's pipelines
that feed them, tracing at once and metrics and logs after the first invocation.

A cold start sets up tracing alone (the first invocation's spans need it). The metric and log
pipelines, whose SDK modules were half of what telemetry added to a cold start, are set up on a
thread of their own `REST_OF_SETUP_DELAY_SECONDS` after the first invocation's span ends (or
`REST_OF_SETUP_LATEST_SECONDS` after start-up, if none has ended by then). What is measured and
logged in between is held and then exported (`shared.platform.held_telemetry`). This module is
imported only when an exporter is configured.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.platform import telemetry
from shared.platform.settings import Settings
from shared.platform.telemetry import Exporter

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import TracerProvider

    from shared.platform.held_telemetry import Held, Measurement

logger = logging.getLogger(__name__)

# Logs are first exported when spans are (the SDK's span default), not after its 1 s for logs:
# the first export builds the Azure Monitor exporters, which should come after a cold start's
# first response, not during it.
FIRST_EXPORT_DELAY_MILLIS = 5_000
# The metric and log pipelines are set up this long after the first invocation's span ends, when
# its response has gone; at the latest this long after `configure`.
REST_OF_SETUP_DELAY_SECONDS = 1.0
REST_OF_SETUP_LATEST_SECONDS = 30.0


def start(exporter: Exporter, settings: Settings) -> None:
    """Trace through the exporter at once; set up metrics and logs after the first invocation."""
    sinks = sinks_for(exporter, settings)
    resource = service_resource()
    tracer_provider = _tracing_through(sinks.spans(), resource)
    _hold_until_after_first_invocation(tracer_provider, sinks, resource)


@dataclass(frozen=True)
class Sinks:
    """Where traces, metrics and logs go: a builder of each exporter."""

    spans: Callable[[], SpanExporter]
    metrics: Callable[[], MetricExporter]
    logs: Callable[[], LogRecordExporter]


def sinks_for(exporter: Exporter, settings: Settings) -> Sinks:
    if exporter is Exporter.AZURE_MONITOR:
        from shared.platform import azure_monitor

        secret = settings.applicationinsights_connection_string
        assert secret is not None
        connection_string = secret.get_secret_value()
        return Sinks(
            spans=functools.partial(azure_monitor.span_exporter, connection_string),
            metrics=functools.partial(azure_monitor.metric_exporter, connection_string),
            logs=functools.partial(azure_monitor.log_exporter, connection_string),
        )
    return Sinks(spans=_otlp_span_exporter, metrics=_otlp_metric_exporter, logs=_otlp_log_exporter)


# Exporters to OTEL_EXPORTER_OTLP_ENDPOINT (/v1/traces, /v1/metrics, /v1/logs).
def _otlp_span_exporter() -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _otlp_metric_exporter() -> MetricExporter:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _otlp_log_exporter() -> LogRecordExporter:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter()


def service_resource() -> Resource:
    """OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; in Azure, without a service name, the
    function app's name (Application Insights' cloud role), as Azure's resource detectors say."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    site = os.environ.get("WEBSITE_SITE_NAME")
    if site and "OTEL_SERVICE_NAME" not in os.environ:
        return Resource.create({SERVICE_NAME: site})
    return Resource.create()


def log_export_delay() -> float | None:
    """FIRST_EXPORT_DELAY_MILLIS, unless OTEL_BLRP_SCHEDULE_DELAY says otherwise."""
    return None if "OTEL_BLRP_SCHEDULE_DELAY" in os.environ else FIRST_EXPORT_DELAY_MILLIS


def _tracing_through(spans: SpanExporter, resource: Resource) -> SdkTracerProvider:
    """The global tracer provider, sending spans through `spans` in batches on the SDK's thread."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tracer_provider = SdkTracerProvider(resource=resource)  # OTEL_TRACES_SAMPLER(_ARG)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans))  # OTEL_BSP_*
    trace.set_tracer_provider(tracer_provider)
    return tracer_provider


def _metrics_and_logs_through(
    sinks: Sinks, resource: Resource
) -> tuple[MeterProvider, logging.Handler]:
    """The global meter and logger providers, exporting through `sinks` on the SDK's threads,
    and the handler that turns standard log records into the log pipeline's, with their trace
    and span."""
    from opentelemetry import metrics
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    reader = PeriodicExportingMetricReader(sinks.metrics())  # OTEL_METRIC_EXPORT_INTERVAL
    meter_provider = SdkMeterProvider(resource=resource, metric_readers=[reader])
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(sinks.logs(), schedule_delay_millis=log_export_delay())
    )
    metrics.set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)
    return meter_provider, LoggingHandler(logger_provider=logger_provider)


def _hold_until_after_first_invocation(
    tracer_provider: SdkTracerProvider, sinks: Sinks, resource: Resource
) -> None:
    """Record into held instruments and a log relay until the metric and log pipelines are set
    up, on a thread of their own, after the first invocation has ended."""
    from shared.platform.held_telemetry import FirstInvocationEnd, Held, LogRelay

    measurements: Held[Measurement] = Held()
    telemetry.use(held_instruments(tracer_provider, measurements))
    relay = LogRelay()
    logging.getLogger().addHandler(relay)
    first_invocation_ended = threading.Event()
    tracer_provider.add_span_processor(FirstInvocationEnd(first_invocation_ended))

    def set_up_the_rest() -> None:
        first_invocation_ended.wait(REST_OF_SETUP_LATEST_SECONDS)
        time.sleep(REST_OF_SETUP_DELAY_SECONDS)
        try:
            meter_provider, log_handler = _metrics_and_logs_through(sinks, resource)
        except Exception as error:  # noqa: BLE001 - the app runs on without them
            logger.error("Metrics and logs are not exported: %s", type(error).__name__)
            return
        _hand_on(measurements, to=telemetry.install(tracer_provider, meter_provider))
        relay.hand_on(log_handler)
        if relay.held.dropped:
            logger.warning("Telemetry dropped %d early log records", relay.held.dropped)

    threading.Thread(target=set_up_the_rest, name="telemetry-setup", daemon=True).start()


def held_instruments(
    tracer_provider: TracerProvider, held: Held[Measurement]
) -> telemetry.Instruments:
    """The service's instruments with metric instruments that hold their measurements."""
    from opentelemetry import trace

    from shared.platform.held_telemetry import HeldCounter, HeldHistogram

    def make(field: str, spec: telemetry.InstrumentSpec) -> Counter | Histogram:
        kind = HeldCounter if spec.kind == "counter" else HeldHistogram
        return kind(spec.name, field=field, held=held, unit=spec.unit, description=spec.description)

    tracer = trace.get_tracer(telemetry.INSTRUMENTATION_SCOPE, tracer_provider=tracer_provider)
    return telemetry.instruments_from(tracer, make)


def _hand_on(held: Held[Measurement], *, to: telemetry.Instruments) -> None:
    """Record the held measurements, and every later one, on the real instruments."""
    from shared.platform.held_telemetry import replay_on

    held.release(replay_on(to))
    if held.dropped:
        logger.warning("Telemetry dropped %d early measurements", held.dropped)

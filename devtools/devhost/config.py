"""Host configuration: local.settings.json values into the environment, host.json options."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

SETTING_REFERENCE = re.compile(r"%([^%]+)%")


class HostConfigError(RuntimeError):
    """The app or its configuration asks for something this host cannot do."""


def load_local_settings(root: Path) -> None:
    """Copy the sample on first run, then export its Values without overriding the environment."""
    settings = root / "local.settings.json"
    sample = root / "local.settings.sample.json"
    if not settings.exists() and sample.exists():
        shutil.copyfile(sample, settings)
    if not settings.exists():
        return
    values = json.loads(settings.read_text()).get("Values", {})
    for name, value in values.items():
        os.environ.setdefault(name, str(value))


def resolve_setting_references(value: str) -> str:
    """Replace %NAME% with the value of setting NAME, as the host does for binding properties."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise HostConfigError(f"Binding refers to setting %{name}%, which is not set")
        return os.environ[name]

    return SETTING_REFERENCE.sub(lookup, value)


def parse_timespan(value: str) -> timedelta:
    """host.json time spans: 'hh:mm:ss' with optional fractional seconds, or 'd.hh:mm:ss'."""
    days = 0
    if "." in value.split(":")[0]:
        day_part, value = value.split(".", 1)
        days = int(day_part)
    hours, minutes, seconds = value.split(":")
    return timedelta(days=days, hours=int(hours), minutes=int(minutes), seconds=float(seconds))


# The host receives a queue message for 10 minutes and renews that lease while its invocation runs;
# no host.json setting changes it. This variable shortens it, so that tests can watch renewals.
HOST_QUEUE_LEASE = timedelta(minutes=10)
QUEUE_LEASE_SETTING = "DEVHOST_QUEUE_LEASE_SECONDS"
# Whole seconds, as the storage service takes them; at least 2 so that a renewal (every half
# lease) is at least a second apart, at most the service's 7 days.
QUEUE_LEASE_RANGE = range(2, 7 * 24 * 3600 + 1)


def queue_lease(environ: Mapping[str, str]) -> timedelta:
    """The lease on a message being processed: the host's 10 minutes unless the variable is set."""
    value = environ.get(QUEUE_LEASE_SETTING)
    if value is None:
        return HOST_QUEUE_LEASE
    if not value.strip().isdecimal() or int(value) not in QUEUE_LEASE_RANGE:
        raise HostConfigError(
            f"{QUEUE_LEASE_SETTING} must be whole seconds from {QUEUE_LEASE_RANGE.start} "
            f"to {QUEUE_LEASE_RANGE.stop - 1}, not {value!r}"
        )
    return timedelta(seconds=int(value))


# Azure checks function keys (x-functions-key or ?code=) on routes whose authLevel is not
# anonymous; Core Tools does not unless started with --enableAuth, and neither does this host
# unless this variable gives it the key to accept (where Azure accepts a function or host key).
FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"


def function_key(environ: Mapping[str, str]) -> str | None:
    """The key this host accepts on keyed routes, or None when it checks none."""
    return environ.get(FUNCTION_KEY_SETTING) or None


@dataclass(frozen=True)
class QueueOptions:
    """extensions.queues in host.json, with the host's documented defaults; and the lease the host
    takes on a message while it is processed."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: timedelta = timedelta(minutes=1)
    visibility_timeout: timedelta = timedelta(0)
    max_dequeue_count: int = 5
    message_encoding: str = "base64"
    lease: timedelta = HOST_QUEUE_LEASE

    @classmethod
    def from_host_json(
        cls, section: dict[str, Any], *, lease: timedelta = HOST_QUEUE_LEASE
    ) -> QueueOptions:
        batch_size = int(section.get("batchSize", cls.batch_size))
        encoding = str(section.get("messageEncoding", cls.message_encoding)).lower()
        if encoding not in ("base64", "none"):
            raise HostConfigError(f"messageEncoding must be base64 or none, not {encoding!r}")
        return cls(
            batch_size=batch_size,
            new_batch_threshold=int(section.get("newBatchThreshold", batch_size // 2)),
            max_polling_interval=parse_timespan(section.get("maxPollingInterval", "00:01:00")),
            visibility_timeout=parse_timespan(section.get("visibilityTimeout", "00:00:00")),
            max_dequeue_count=int(section.get("maxDequeueCount", cls.max_dequeue_count)),
            message_encoding=encoding,
            lease=lease,
        )


# functionTimeout's default on Flex Consumption, where new Python apps run.
DEFAULT_FUNCTION_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class HostOptions:
    route_prefix: str
    queues: QueueOptions
    function_timeout: timedelta = DEFAULT_FUNCTION_TIMEOUT
    function_key: str | None = field(default=None, repr=False)


HOST_OVERRIDE_PREFIX = "AzureFunctionsJobHost__"


def apply_overrides(host_json: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Apply `AzureFunctionsJobHost__a__b=value` settings over host.json, as the host does."""
    for name, value in environ.items():
        if not name.startswith(HOST_OVERRIDE_PREFIX):
            continue
        *parents, leaf = name[len(HOST_OVERRIDE_PREFIX) :].split("__")
        section = host_json
        for key in parents:
            existing = next((k for k in section if k.lower() == key.lower()), key)
            section = section.setdefault(existing, {})
        existing_leaf = next((k for k in section if k.lower() == leaf.lower()), leaf)
        section[existing_leaf] = value
    return host_json


def load_host_options(root: Path) -> HostOptions:
    host_json = apply_overrides(json.loads((root / "host.json").read_text()), os.environ)
    extensions = host_json.get("extensions", {})
    prefix = str(extensions.get("http", {}).get("routePrefix", "api")).strip("/")
    timeout = host_json.get("functionTimeout")
    return HostOptions(
        route_prefix=prefix,
        queues=QueueOptions.from_host_json(
            extensions.get("queues", {}), lease=queue_lease(os.environ)
        ),
        function_timeout=parse_timespan(timeout) if timeout else DEFAULT_FUNCTION_TIMEOUT,
        function_key=function_key(os.environ),
    )

"""The HTTP transport of every Azure SDK client the app builds.

azure-core's aiohttp transport trusts the environment by default, and aiohttp then looks for a
proxy and a netrc entry on every request, each in a worker thread: two thread hops per Cosmos DB
batch and per queue message, which cost the ingestion path about a tenth of its CPU. The app
reaches Cosmos DB and Storage directly unless a proxy is configured, so the environment is
trusted only when it names one (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, in any case).
"""

from __future__ import annotations

import os

from azure.core.pipeline.transport import AioHttpTransport

PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")


def proxy_configured() -> bool:
    return any(name.lower() in PROXY_VARIABLES and value for name, value in os.environ.items())


def sdk_transport() -> AioHttpTransport:
    """A transport of its own for one client (the client closes it with itself)."""
    return AioHttpTransport(use_env_settings=proxy_configured())

"""Settings the app needs to be importable in unit tests (nothing connects at import)."""

from __future__ import annotations

import os

os.environ.setdefault("COSMOS_ENDPOINT", "https://127.0.0.1:8081/")
# Unit tests must never reach for a database: the client is built but not connected.
os.environ["COSMOS_CREATE_IF_MISSING"] = "false"

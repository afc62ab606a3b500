"""What a development host's log says its app did: records processed, messages handed back."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools import stack
from devtools.stack import Service, host_names, messages_handed_back, records_processed

LOG = """\
2026-12-01 08:20:40,001 INFO root: Message a1: 480 written, 0 rejected
2026-12-01 08:20:41,002 INFO root: Message a2: 470 written, 10 rejected (already counted)
2026-12-01 08:20:44,116 WARNING devhost.queues: Function ingest_products failed: InvocationFailed
"""


def test_several_hosts_are_named_apart_so_that_each_has_its_own_log() -> None:
    assert host_names("devhost", 3) == ["devhost", "devhost-2", "devhost-3"]


def test_a_host_s_log_tells_what_its_app_wrote_and_which_messages_went_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack, "LOG_DIR", tmp_path)
    host = Service("devhost-2", ["true"], ready="")
    host.log_path.write_text(LOG)
    assert records_processed(host) == (950, 10)
    assert messages_handed_back(host) == 1

"""The Markdown report: every scenario's section, the imports' included."""

from __future__ import annotations

from bench.cold_start import ColdStart
from bench.limit_body import BodyAtLimit, Post
from bench.procfs import MB
from bench.report import markdown
from tests.unit.bench.test_chart import measurement
from tests.unit.bench.test_large_import import result


def test_the_report_has_a_section_for_the_large_import_and_the_body_at_the_limit() -> None:
    results = [
        measurement("throttled", "(b) the executor", 2.0, provisioned_ru_per_second=4000),
        measurement("small messages", "(b) the executor, via the queue", 3.0),
        measurement("unthrottled", "(b) the executor", 0.1),
    ]
    post = Post(route="imports", status=202, seconds=3.0, resident_before=80 * MB, peak=160 * MB)
    floor = Post(route="products", status=413, seconds=0.1, resident_before=80 * MB, peak=110 * MB)
    at_limit = BodyAtLimit(body_bytes=16 * MB, records=88_000, imports=[post], floor=[floor])
    starts = [ColdStart("app", [1.0]), ColdStart("floor", [0.5])]
    report = markdown(results, starts, "2 CPUs", result(), at_limit)
    assert "## Large import: 1,000 products through the command" in report
    assert "## One body at the limit: 16,000,000 bytes, 88,000 records" in report
    assert "Growth of an import beyond the floor: 50 MB (bound: one body, 16 MB)." in report

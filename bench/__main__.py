"""`make bench`: every scenario and approach in one run, against one freshly started local stack.

- throttled: 10,000 of the lab's products into containers provisioned at 4,000 RU/s (the lab's
  figure), each approach in its own fresh container;
- small messages: 5,000 products as 5,000 one-product queue messages, through the app;
- unthrottled: 25,000 products, containers without provisioned throughput;
- cold start: host start to the first product read, beside a one-route floor app;
- large import: 1,000,000 products (about 190 MB of NDJSON) through the import command, end to
  end, unthrottled: counts, records/s against the unthrottled executor, the host's and the
  command's peak RSS;
- one body at the limit: MAX_IMPORT_BYTES POSTed to /api/imports on a fresh host, beside the same
  body refused by /api/products (the floor): status, seconds, the host's peak RSS growth;
- cold start with telemetry, interactive during import, three instances on one budget: see
  bench/cold_start_telemetry.py, bench/interactive.py and bench/three_instances.py.

Prints the tables and writes them to docs/benchmarks.md, every figure to docs/benchmarks.json,
with a description of the machine, and a chart to docs/benchmarks.svg. Compare ratios, not
absolute times.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import requests
import urllib3
from urllib3.exceptions import InsecureRequestWarning

from bench import (
    approaches,
    chart,
    cold_start,
    cold_start_telemetry,
    executor_scaling,
    interactive,
    large_import,
    limit_body,
    pipeline,
    three_instances,
)
from bench.approaches import CEILING, DIRECT, EXECUTOR
from bench.measure import Measurement, drop_container, fresh_container, measure, medians
from bench.readback import stored_items
from bench.report import markdown, users_first
from bench.workload import products
from devtools.stack import ROOT, LocalStack

RUNS = 3  # of the throttled and unthrottled SDK approaches; the tables show the medians
THROTTLED_RECORDS = 10_000
UNTHROTTLED_RECORDS = 25_000
WARM_UP_RECORDS = 5_000
# The executor against the ceiling, back to back, in runs long enough that the machine's noise
# (a 2-second run varies by a quarter) does not decide the comparison.
HEAD_TO_HEAD = "executor against the ceiling"
HEAD_TO_HEAD_RECORDS = 100_000
SMALL_MESSAGES = 5_000
LAB_RU_PER_SECOND = 4_000
REPORT = ROOT / "docs" / "benchmarks.md"
FIGURES = ROOT / "docs" / "benchmarks.json"
CHART = ROOT / "docs" / "benchmarks.svg"

SDK_APPROACHES: dict[str, approaches.Approach] = {
    "(a) create_item per record, asyncio.gather": approaches.gather_create_item,
    EXECUTOR: approaches.executor_approach(),
    "(c) the executor at a fixed 8 per partition": approaches.executor_approach(fixed=8),
    "(d) JS SDK executeBulkOperations": approaches.js_bulk,
}
UNTHROTTLED_EXTRA: dict[str, approaches.Approach] = {
    DIRECT: approaches.direct_sdk_batches,
    CEILING: approaches.preserialized_batches,
}


def run_sdk(
    stack: LocalStack, scenario: str, items: list[dict[str, Any]], ru: int | None,
    chosen: dict[str, approaches.Approach], *, run: int = 1, read_back: bool = False,
) -> list[Measurement]:  # fmt: skip
    """Each approach once, in its own fresh container; with `read_back`, the items stored are
    found by reading them back by id rather than by a COUNT query (which costs the square of
    the items in the local endpoint)."""
    count = (lambda target: stored_items(target, items)) if read_back else None
    results = []
    for number, (name, approach) in enumerate(chosen.items()):
        target = fresh_container(stack, f"{scenario.split()[0]}-{run}-{number}", ru)
        results.append(
            asyncio.run(
                measure(
                    scenario=scenario,
                    name=name,
                    approach=approach,
                    target=target,
                    items=items,
                    ru_per_second=ru,
                    run=run,
                    count_stored=count,
                )
            )
        )
        drop_container(target)
        print(f"  {scenario} (run {run}): {name}: {results[-1].seconds:.2f} s", flush=True)
    return results


def run_sdk_thrice(
    stack: LocalStack, scenario: str, items: list[dict[str, Any]], ru: int | None,
    chosen: dict[str, approaches.Approach], *, warm_up: bool = False, read_back: bool = False,
) -> list[Measurement]:  # fmt: skip
    """Every approach RUNS times, the runs interleaved and each run beginning with the next
    approach, so that drift and whatever the first of a run pays hit all alike. With `warm_up`,
    every approach first writes WARM_UP_RECORDS unmeasured: the endpoint's JIT and the clients'
    first connections are paid before anything is timed."""
    if warm_up:
        run_sdk(stack, f"{scenario} warm-up", items[:WARM_UP_RECORDS], ru, chosen, run=0)
    names = list(chosen)
    results = []
    for run in range(1, RUNS + 1):
        first = (run - 1) % len(names)
        order = names[first:] + names[:first]
        in_order = {name: chosen[name] for name in order}
        results += run_sdk(stack, scenario, items, ru, in_order, run=run, read_back=read_back)
    return results


def executor_rate(results: list[Measurement]) -> float:
    """Records/s of the unthrottled executor row (its median run): the large import's yardstick."""
    return next(
        r.records_per_second
        for r in medians(results)
        if r.scenario == "unthrottled" and r.approach == EXECUTOR
    )


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(load_at_start: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Node.js {node}; load average at the start "
        f"{load_at_start}, at the end {load_average()}"
    )


def product_to_read(stack: LocalStack) -> str:
    item = products(1, seed=11)[0]
    response = requests.post(f"{stack.api_url}/products", json=item, timeout=60)
    response.raise_for_status()
    return f"/products/{item['categoryId']}/{item['id']}"


def main() -> None:
    urllib3.disable_warnings(InsecureRequestWarning)  # the local endpoint's self-signed certificate
    load_at_start = load_average()
    with LocalStack() as stack:
        product_path = product_to_read(stack)
        starts = cold_start.measure(stack, product_path)
        with_telemetry = cold_start_telemetry.measure(stack, product_path)
        throttled_items = products(THROTTLED_RECORDS, seed=3)
        results = run_sdk_thrice(
            stack, "throttled", throttled_items, LAB_RU_PER_SECOND, SDK_APPROACHES
        )
        fair = executor_scaling.fairness(stack)
        print(f"  fairness: {fair.seconds:.1f} s", flush=True)
        app = pipeline.reset_app_container(stack, LAB_RU_PER_SECOND)
        results.append(
            pipeline.end_to_end_import(
                app,
                products(THROTTLED_RECORDS, seed=4),
                scenario="throttled",
                ru_per_second=LAB_RU_PER_SECOND,
            )
        )
        app = pipeline.reset_app_container(stack, None)
        results.append(pipeline.one_product_messages(app, products(SMALL_MESSAGES, seed=5)))
        unthrottled = {
            name: approach
            for name, approach in SDK_APPROACHES.items()
            if not name.startswith("(c)")
        } | UNTHROTTLED_EXTRA
        results += run_sdk_thrice(
            stack, "unthrottled", products(UNTHROTTLED_RECORDS, seed=6), None, unthrottled,
            warm_up=True,
        )  # fmt: skip
        head_to_head = run_sdk_thrice(
            stack, HEAD_TO_HEAD, products(HEAD_TO_HEAD_RECORDS, seed=7), None,
            {
                EXECUTOR: SDK_APPROACHES[EXECUTOR],
                DIRECT: UNTHROTTLED_EXTRA[DIRECT],
                CEILING: UNTHROTTLED_EXTRA[CEILING],
            },
            read_back=True,
        )  # fmt: skip
        users = interactive.run(stack)
        instances = three_instances.run(stack)
        large = large_import.run(stack, executor_rate=executor_rate(results))
        print(f"  large import: {large.measurement.seconds:.2f} s", flush=True)
        results.append(large.measurement)
        at_limit = limit_body.measure(stack)
        print(f"  one body at the limit: {at_limit.body_bytes:,} bytes", flush=True)
    keys = executor_scaling.many_keys()  # in this process, no stack: the executor's own CPU
    print(f"  many keys: ratio {keys.ratio:.2f}", flush=True)
    described = machine(load_at_start)
    scaling = executor_scaling.Scaling(keys=keys, fairness=fair)
    report = markdown(results, starts, described, large, at_limit, scaling, head_to_head)
    report += users_first(users, instances, with_telemetry)
    print(report)
    REPORT.write_text(report)
    figures = {
        "machine": described,
        "measurements": [result.to_json() for result in results],
        "coldStart": [{"app": s.name, "seconds": s.seconds, "median": s.median} for s in starts],
        "largeImport": large.to_json(),
        "bodyAtLimit": at_limit.to_json(),
        "executorAgainstCeiling": [result.to_json() for result in head_to_head],
        "manyKeys": keys.to_json(),
        "fairnessUnderThrottling": fair.to_json(),
        "interactiveDuringImport": users.to_json(),
        "threeInstances": instances.to_json(),
        "coldStartWithTelemetry": with_telemetry.to_json(),
    }
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    chart.render(medians(results), CHART)
    written = ", ".join(str(path.relative_to(ROOT)) for path in (REPORT, FIGURES, CHART))
    print(f"\nWritten to {written}")


if __name__ == "__main__":
    main()

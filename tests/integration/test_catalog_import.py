"""`catalog-import` (as `python -m catalog_import`, as the installed console script, and
through `make import`) against the running development host: files streamed in, progress
shown, rejects listed, and the exit status a script can rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.stack import LocalStack
from tests.factories import catalog
from tests.integration.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = Path(sys.executable).parent / "catalog-import"  # make install puts it there


def run_import(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "catalog_import", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def write_ndjson(path: Path, products: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(product) + "\n" for product in products))
    return path


def test_a_file_with_rejects_exits_2_and_lists_the_first_rejects_with_reasons(
    stack: LocalStack, tmp_path: Path
) -> None:
    products = catalog(500, categories=5, invalid_every=50)  # 10 rejects
    file = tmp_path / "products.json"
    file.write_text(json.dumps(products, indent=2))
    run = run_import(str(file), "--api", stack.api_url)
    assert run.returncode == 2, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("written ") and " of 500 (" in lines[0]  # plain progress lines
    assert "500 records in 1 import(s): 490 written, 10 rejected" in run.stdout
    rejected_ids = {products[n]["id"] for n in range(0, 500, 50)}
    listed = [line for line in lines if "price: Input should be greater than or equal to 0" in line]
    assert len(listed) == 10
    assert all(any(f"(id {pid})" in line for pid in rejected_ids) for line in listed)


def test_a_clean_file_exits_0_and_json_prints_one_summary(
    stack: LocalStack, api: Api, tmp_path: Path
) -> None:
    products = catalog(300, categories=3)
    run = run_import(
        str(write_ndjson(tmp_path / "p.ndjson", products)), "--api", stack.api_url, "--json"
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # the only thing printed
    assert (summary["accepted"], summary["written"], summary["rejected"]) == (300, 300, 0)
    assert summary["rejects"] == [] and summary["imports"][0]["state"] == "completed"
    sample = products[7]
    assert (
        api.get(f"/products/{sample['categoryId']}/{sample['id']}").json()["price"]
        == sample["price"]
    )


def test_a_file_larger_than_a_request_is_split_into_imports_that_add_up(
    stack: LocalStack, tmp_path: Path
) -> None:
    products = catalog(1200, categories=4, invalid_every=100)
    file = write_ndjson(tmp_path / "big.ndjson", products)
    limit = file.stat().st_size // 3 + 1  # as if the file were three requests' worth
    run = run_import(str(file), "--api", stack.api_url, "--json", "--request-bytes", str(limit))
    assert run.returncode == 2, run.stderr
    summary = json.loads(run.stdout)
    assert len(summary["imports"]) >= 3
    assert sum(i["accepted"] for i in summary["imports"]) == summary["accepted"] == 1200
    assert (summary["written"], summary["rejected"]) == (1188, 12)


def test_an_unreachable_api_exits_1_with_one_line(tmp_path: Path) -> None:
    file = write_ndjson(tmp_path / "p.ndjson", catalog(3, categories=1))
    run = run_import(str(file), "--api", "http://127.0.0.1:9/api")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "catalog-import: cannot reach the API at http://127.0.0.1:9/api (gave up after 5 attempts)"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"id": "a", "categoryId": "c", "name": "n", "price": 1}\n{"id": \n',
            "not valid JSON (Expecting value) at line 2, column 8",
        ),
        (b"[1, 2", "ends inside the array at line 1, column 6"),
    ],
    ids=["not-ndjson", "not-a-json-array"],
)
def test_a_file_that_is_not_json_exits_1_with_one_line_saying_where(
    stack: LocalStack, tmp_path: Path, content: bytes, expected: str
) -> None:
    file = tmp_path / "bad.json"
    file.write_bytes(content)
    run = run_import(str(file), "--api", stack.api_url)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("catalog-import: ") and expected in line


def test_a_request_the_api_refuses_exits_1_with_one_line(stack: LocalStack, tmp_path: Path) -> None:
    file = write_ndjson(tmp_path / "p.ndjson", catalog(3, categories=1))
    run = run_import(str(file), "--api", f"{stack.api_url}/no-such-route")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "catalog-import: POST /imports answered 404 Not Found"
    ]


def test_a_record_the_api_refuses_is_named_by_its_line_in_the_file(
    stack: LocalStack, tmp_path: Path
) -> None:
    products = catalog(6, categories=3)  # interleaved: the request regroups them by category
    lines = [json.dumps(product) for product in products]
    lines[3] = lines[3].replace(f'"price": {products[3]["price"]}', '"price": 1e400')
    file = tmp_path / "p.ndjson"
    file.write_text("\n".join(lines) + "\n")
    run = run_import(str(file), "--api", stack.api_url)
    assert run.returncode == 1
    (line,) = run.stderr.strip().splitlines()
    assert "answered 400" in line and line.endswith(f"(the record at line 4 of {file})")


def test_a_file_that_starts_with_a_byte_order_mark_is_imported_whole(
    stack: LocalStack, tmp_path: Path
) -> None:
    file = tmp_path / "products.json"
    file.write_bytes(b"\xef\xbb\xbf" + json.dumps(catalog(20, categories=2), indent=2).encode())
    run = run_import(str(file), "--api", stack.api_url, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["written"] == 20


def test_a_missing_file_exits_1(stack: LocalStack, tmp_path: Path) -> None:
    run = run_import(str(tmp_path / "nothing.json"), "--api", stack.api_url)
    assert run.returncode == 1 and "nothing.json" in run.stderr


def test_make_import_runs_the_command_and_fails_as_make_fails(
    stack: LocalStack, tmp_path: Path
) -> None:
    file = write_ndjson(tmp_path / "p.ndjson", catalog(40, categories=2, invalid_every=20))
    run = subprocess.run(
        ["make", "--no-print-directory", "import", f"FILE={file}", f"API={stack.api_url}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr  # make's own status for any failed recipe
    assert "40 records in 1 import(s): 38 written, 2 rejected" in run.stdout


@pytest.mark.parametrize(
    ("content", "status"),
    [(catalog(40, categories=2, invalid_every=20), 2), (catalog(40, categories=2), 0), (None, 1)],
    ids=["some-rejected", "all-written", "not-json"],
)
def test_the_console_script_passes_its_exit_status_on(
    stack: LocalStack, tmp_path: Path, content: list[dict[str, Any]] | None, status: int
) -> None:
    file = tmp_path / "p.ndjson"
    if content is None:
        file.write_text("{not json}\n")
    else:
        write_ndjson(file, content)
    run = subprocess.run(
        [str(CONSOLE_SCRIPT), str(file), "--api", stack.api_url, "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == status, run.stderr

"""The command's options and exit statuses, against a fake API over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog_import import __main__ as command
from catalog_import.bodies import API_LIMIT_BYTES
from tests.unit.catalog_import.fake_api import Answer, FakeApi

RECORD = '{"id": "p%d", "categoryId": "c", "name": "n", "price": 1}\n'


def products_file(folder: Path, records: int) -> Path:
    """An NDJSON file of `records` products of one category."""
    file = folder / "products.ndjson"
    file.write_text("".join(RECORD % n for n in range(records)))
    return file


def accept_imports(fake: FakeApi, *, records: int) -> None:
    """Answer every POST /imports with a new import (imp-0, imp-1, ...) of `records` records,
    and its progress with `completed`."""
    ids = [f"imp-{n}" for n in range(10)]
    answers = [Answer(status=202, body={"importId": i, "records": records}) for i in ids]
    fake.on("POST", "/imports", *answers)
    for i in ids:
        done = {"state": "completed", "accepted": records, "written": records, "rejected": 0}
        fake.on("GET", f"/imports/{i}", Answer(body=done))


def test_the_default_request_size_is_4_mib() -> None:
    assert command._arguments(["f.json"]).request_bytes == 4 * 1024 * 1024


def test_the_former_option_name_still_sets_the_request_size() -> None:
    assert command._arguments(["f.json", "--max-import-bytes", "1000"]).request_bytes == 1000


def test_a_request_size_above_the_api_s_limit_is_a_usage_error_that_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        command.main(["f.json", "--request-bytes", str(API_LIMIT_BYTES + 1)])
    assert exited.value.code == 1
    assert "is not between 1 and the API's limit" in capsys.readouterr().err


def test_help_documents_the_exit_statuses_and_the_request_size(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        command.main(["--help"])
    shown = capsys.readouterr().out
    assert "usage: catalog-import" in shown and "--request-bytes N" in shown
    assert "0  every record was written" in shown
    assert "2  some records were rejected" in shown
    assert "1  the import could not be done" in shown


def test_a_file_goes_out_in_bodies_of_at_most_request_bytes_each_with_its_own_key(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = products_file(tmp_path, 40)
    accept_imports(fake_api, records=10)
    status = command.main([str(file), "--api", fake_api.url, "--json", "--request-bytes", "700"])
    assert status == 0, capsys.readouterr().err
    posts = fake_api.sent_to("POST", "/imports")
    assert len(posts) > 1 and all(len(post.body) <= 700 for post in posts)
    assert b"".join(post.body for post in posts) == file.read_bytes()
    assert len({post.headers["idempotency-key"] for post in posts}) == len(posts)
    assert json.loads(capsys.readouterr().out)["written"] == 10 * len(posts)


@pytest.fixture
def error_on_line_41(fake_api: FakeApi, tmp_path: Path) -> Path:
    """40 good records of 10-record imports, then a record that is not JSON."""
    file = tmp_path / "products.ndjson"
    file.write_text("".join(RECORD % n for n in range(40)) + '{"id": oops}\n')
    accept_imports(fake_api, records=10)
    return file


def test_a_syntax_error_after_some_imports_started_names_them(
    fake_api: FakeApi, error_on_line_41: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = error_on_line_41
    arguments = ["--request-bytes", "700", "--group-bytes", "0"]
    assert command.main([str(file), "--api", fake_api.url, *arguments]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "not valid JSON" in line and "at line 41, column 8" in line
    assert line.endswith("(30 records of the file went out, as imp-0, imp-1, imp-2)")


def test_a_syntax_error_within_the_first_span_regrouped_sends_nothing(
    fake_api: FakeApi, error_on_line_41: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = error_on_line_41
    assert command.main([str(file), "--api", fake_api.url, "--request-bytes", "700"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("at line 41, column 8")
    assert not fake_api.sent


def running_then_completed(fake: FakeApi, *, imports: int, records: int) -> None:
    """Each import answers `running` to its first poll and `completed` after."""
    answers = [
        Answer(status=202, body={"importId": f"imp-{n}", "records": records})
        for n in range(imports)
    ]
    fake.on("POST", "/imports", *answers)
    for n in range(imports):
        running = {"state": "running", "accepted": records, "written": 0, "rejected": 0}
        done = running | {"state": "completed", "written": records}
        fake.on("GET", f"/imports/imp-{n}", Answer(body=running), Answer(body=done))


def test_the_next_request_waits_until_fewer_than_max_pending_imports_are_unfinished(
    fake_api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(command, "POLL_SECONDS", 0.01)
    file = products_file(tmp_path, 40)
    running_then_completed(fake_api, imports=4, records=10)
    arguments = ["--api", fake_api.url, "--json", "--request-bytes", "700", "--max-pending", "1"]
    assert command.main([str(file), *arguments]) == 0
    order = [(s.method, s.path.rsplit("/", 1)[-1]) for s in fake_api.sent]
    for n in range(1, 4):  # import n is sent only once import n-1 was seen completed
        posted = [i for i, sent in enumerate(order) if sent == ("POST", "imports")][n]
        polls_of_previous = [i for i, sent in enumerate(order) if sent == ("GET", f"imp-{n - 1}")]
        assert len([i for i in polls_of_previous if i < posted]) == 2


def test_with_max_pending_0_the_whole_file_goes_out_before_any_poll(
    fake_api: FakeApi, tmp_path: Path
) -> None:
    file = products_file(tmp_path, 40)
    running_then_completed(fake_api, imports=4, records=10)
    arguments = ["--api", fake_api.url, "--json", "--request-bytes", "700", "--max-pending", "0"]
    assert command.main([str(file), *arguments]) == 0
    methods = [s.method for s in fake_api.sent]
    assert methods[:4] == ["POST"] * 4 and "POST" not in methods[4:]


def test_an_import_failing_while_the_file_is_sent_stops_the_rest(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = products_file(tmp_path, 40)
    fake_api.on("POST", "/imports", Answer(status=202, body={"importId": "imp-0", "records": 10}))
    failed = {"state": "failed", "reason": "the queue could not be reached", "written": 0}
    fake_api.on("GET", "/imports/imp-0", Answer(body=failed | {"accepted": 10, "rejected": 0}))
    arguments = ["--api", fake_api.url, "--request-bytes", "700", "--max-pending", "1"]
    assert command.main([str(file), *arguments]) == 1
    assert len(fake_api.sent_to("POST", "/imports")) == 1
    assert "import imp-0 failed: the queue could not be reached" in capsys.readouterr().err


def test_progress_lines_begin_once_an_import_is_under_way(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = products_file(tmp_path, 10)
    accept_imports(fake_api, records=10)
    assert command.main([str(file), "--api", fake_api.url]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("written 10, rejected 0 of 10 (100.0%)")


def test_a_request_refused_for_one_of_its_lines_names_that_record_s_line_in_the_file(
    fake_api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "interleaved.ndjson"
    lines = [
        '{"id": "a1", "categoryId": "a", "name": "n", "price": 1}',
        '{"id": "b1", "categoryId": "b", "name": "n", "price": 1e400}',
        '{"id": "a2", "categoryId": "a", "name": "n", "price": 1}',
        '{"id": "b2", "categoryId": "b", "name": "n", "price": 1}',
    ]
    file.write_text("\n".join(lines) + "\n")
    # regrouped by category, the request is a1, a2, b1, b2: the API names its line 3
    problem = {"status": 400, "detail": "Line 3: price: refused.", "line": 3}
    fake_api.on("POST", "/imports", Answer(status=400, body=problem))
    assert command.main([str(file), "--api", fake_api.url]) == 1
    assert fake_api.sent_to("POST", "/imports")[0].body.split(b"\n")[2] == lines[1].encode()
    assert f"(the record at line 2 of {file})" in capsys.readouterr().err

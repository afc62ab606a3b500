from __future__ import annotations

import json

from shared.platform.utf8_json import compact_json, utf8_size


def test_non_ascii_text_is_counted_as_its_utf8_bytes_not_its_escapes() -> None:
    value = {"d": "é字😍"}
    assert compact_json(value) == '{"d":"é字😍"}'
    assert utf8_size(value) == len('{"d":""}') + 2 + 3 + 4
    assert utf8_size(value) < len(json.dumps(value).encode())


def test_a_lone_surrogate_stays_an_escape_that_reads_back_the_same() -> None:
    value = {"d": "a\ud800b"}
    text = compact_json(value)
    assert "\\ud800" in text
    text.encode("utf-8")  # encodable
    assert json.loads(text) == value


def test_control_characters_quotes_and_numbers_are_written_as_json_writes_them() -> None:
    value = {"q": '"\\\n', "n": [0.1, 2**53 - 1, -0.0]}
    assert json.loads(compact_json(value)) == value

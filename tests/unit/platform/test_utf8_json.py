from __future__ import annotations

import json

from shared.platform.utf8_json import compact_json, estimated_utf8_size, utf8_size


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


def test_the_estimate_is_the_exact_size_but_for_a_float_exponent() -> None:
    values = [
        {"d": "é字😍", "n": [0.1, 2**53 - 1, -0.0, None, True], "q": '"\\\n\u0001'},
        {"d": "a\ud800b"},
        {"id": "p1", "categoryId": "c", "price": 3578.27, "tags": ["a", "b"]},
    ]
    for value in values:
        assert estimated_utf8_size(value) == utf8_size(value)
    assert 0 < utf8_size({"x": 1e-7}) - estimated_utf8_size({"x": 1e-7}) <= 2

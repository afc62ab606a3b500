from __future__ import annotations

import pytest

from shared.platform.json_input import (
    MAX_DEPTH,
    NON_FINITE,
    JsonInputError,
    holds_non_finite,
    loads,
    nesting_depth,
)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[", "]]"]', 1),
        (b'["\\"", "[["]', 1),
        (b"[" * 100_000, 100_000),
    ],
)
def test_nesting_depth_ignores_brackets_inside_strings(text: bytes, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_nesting_up_to_the_limit_is_parsed() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(text) is not None


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deeper_nesting_is_refused_without_recursion(levels: int) -> None:
    with pytest.raises(JsonInputError, match=str(MAX_DEPTH)):
        loads(b"[" * levels + b"]" * levels)


@pytest.mark.parametrize("text", [b"[NaN]", b"[Infinity]", b"[-Infinity]", b"[1e400]"])
def test_non_finite_numbers_are_refused(text: bytes) -> None:
    with pytest.raises(JsonInputError):
        loads(text)


def test_non_finite_numbers_can_be_marked_instead() -> None:
    value = loads(b'[{"price": NaN}, {"price": 1}]', mark_non_finite=True)
    assert value[0]["price"] is NON_FINITE
    assert [holds_non_finite(record) for record in value] == [True, False]


@pytest.mark.parametrize("text", [b"\xff", b'{"a": 1', b"1" * 5_000, b'{"secret-value": }'])
def test_errors_never_quote_the_input(text: bytes) -> None:
    with pytest.raises(JsonInputError) as raised:
        loads(text)
    assert "secret" not in str(raised.value) and "\\xff" not in str(raised.value)

from __future__ import annotations

import random
import re
from itertools import accumulate

import pytest

from shared.platform.json_input import (
    MAX_DEPTH,
    STRICT_DECODER,
    JsonInputError,
    RefusedNumberError,
    loads,
    nesting_depth,
)
from shared.platform.json_numbers import RefusedNumber, first_refused


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[", "]]"]', 1),
        (b'["\\"", "[["]', 1),
        (b'["", [""], {"": "", "]": "["}]', 2),
        (b'["a]","[b",["]"]]', 2),
        (b'{"[":"]","":"","x":[[]]}', 3),
        (b"[" * 100_000, 100_000),
    ],
)
def test_nesting_depth_ignores_brackets_inside_strings(text: bytes, depth: int) -> None:
    assert nesting_depth(text) == depth


def depth_by_definition(data: bytes) -> int:
    """The plain definition: escapes out, then strings, then brackets counted in order."""
    outside = re.sub(rb'"[^"]*"', b"", re.sub(rb"\\.", b"", data, flags=re.DOTALL))
    steps = [{ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}.get(b, 0) for b in outside]
    return max(accumulate(step for step in steps if step), default=0)


def test_nesting_depth_is_the_definition_s_for_any_bytes_json_or_not() -> None:
    """Unclosed strings, stray backslashes and quotes included: the fast scan must never differ."""
    rng = random.Random(7)
    alphabet = b'"[]{}\\a \xc3\xff'
    samples = [bytes(rng.choices(alphabet, k=rng.randint(0, 14))) for _ in range(20_000)]
    differing = [s for s in samples if nesting_depth(s) != depth_by_definition(s)]
    assert differing == []


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


def test_refused_numbers_can_be_marked_instead() -> None:
    text = b'[{"price": NaN}, {"price": 1}, {"x": 9007199254740993}]'
    value = loads(text, mark_refused_numbers=True)
    assert isinstance(value[0]["price"], RefusedNumber)
    assert [first_refused(record) is None for record in value] == [False, True, False]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (b'{"x": 1' + b"0" * 400 + b"}", "x"),
        (b'{"tags": ["a", 9007199254740992]}', "tags.1"),
        (b'{"a": {"b": 0.10000000000000000001}}', "a.b"),
        (b"[1, 2, 1e-400]", "2"),
        (b"1e400", "body"),
    ],
)
def test_a_number_that_cannot_be_stored_as_sent_is_refused_naming_its_place(
    text: bytes, field: str
) -> None:
    with pytest.raises(RefusedNumberError) as raised:
        loads(text)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_text_cut_inside_a_refused_number_is_incomplete_not_refused() -> None:
    """A stream reader reads on when its buffer ends inside a value."""
    with pytest.raises(ValueError) as raised:
        STRICT_DECODER.raw_decode('{"x": 90071992547409931')
    assert not isinstance(raised.value, JsonInputError)


@pytest.mark.parametrize("text", [b"\xff", b'{"a": 1', b"1" * 5_000, b'{"secret-value": }'])
def test_errors_never_quote_the_input(text: bytes) -> None:
    with pytest.raises(JsonInputError) as raised:
        loads(text)
    assert "secret" not in str(raised.value) and "\\xff" not in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [b'{"id":"a","id":"b"}', b'[{"a":1},{"b":{"c":1,"c":1}}]', b'{"a":1,"b":2,"a":3}'],
)
def test_an_object_naming_a_member_twice_is_refused_at_any_depth(text: bytes) -> None:
    with pytest.raises(JsonInputError, match="same member twice"):
        loads(text)


def test_objects_with_unique_names_keep_their_members_in_order() -> None:
    assert list(loads(b'{"b":1,"a":{"x":[],"y":{}},"c":null}')) == ["b", "a", "c"]
    assert loads(b'[{"a":1},{"a":2}]') == [{"a": 1}, {"a": 2}]

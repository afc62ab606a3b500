from __future__ import annotations

import json

import pytest

from shared.platform.json_numbers import (
    INEXACT,
    MAX_SAFE_INTEGER,
    OUT_OF_RANGE,
    decimal_refusal,
    first_refused,
    integer_refusal,
    marked_float,
)


@pytest.mark.parametrize(
    "number", [0, -0, 1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 10**15, 999_999_999_999_999]
)
def test_an_integer_a_double_holds_exactly_is_taken(number: int) -> None:
    assert integer_refusal(str(number)) is None


@pytest.mark.parametrize("number", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 10**16, 10**400])
def test_an_integer_beyond_2_to_the_53_minus_1_is_refused(number: int) -> None:
    assert integer_refusal(str(number)) == OUT_OF_RANGE


def test_an_integer_of_more_digits_than_python_converts_is_refused_without_converting() -> None:
    assert integer_refusal("9" * 100_000) == OUT_OF_RANGE


@pytest.mark.parametrize(
    "text", ["0.1", "65.15", "1.50", "1E2", "1e15", "-0.0", "5e-324", "9007199254740991.0"]
)
def test_a_decimal_that_reads_back_as_written_is_taken(text: str) -> None:
    assert decimal_refusal(text, float(text)) is None
    assert json.loads(json.dumps(float(text))) == float(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0.10000000000000000001", INEXACT),
        ("3.14159265358979323846", INEXACT),
        ("1e-400", INEXACT),
        ("1e400", OUT_OF_RANGE),
        ("-1.8e308", OUT_OF_RANGE),
        ("1e300", OUT_OF_RANGE),
        ("9007199254740992.0", OUT_OF_RANGE),
    ],
)
def test_a_decimal_beyond_the_range_or_a_double_s_precision_is_refused(
    text: str, reason: str
) -> None:
    assert decimal_refusal(text, float(text)) == reason


def test_the_shallowest_refused_number_is_found_first_with_its_place() -> None:
    value = {"deep": {"deeper": [marked_float("1e400")]}, "tags": [1, marked_float("1e-400")]}
    found = first_refused(value)
    assert found is not None
    assert (found.field, found.reason) == ("tags.1", INEXACT)
    assert first_refused({"fine": [1, 2.5, "x"]}) is None

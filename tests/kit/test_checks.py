"""labkit.grading.checks: row-level table diffs and failures whose first line is the reason."""
from __future__ import annotations

from datetime import date

import pytest

from labkit.grading.checks import LabCheckFailed, check, check_equal, check_rows, diff_rows

COLUMNS = ("date", "temp", "summary")


def day(n: int) -> date:
    return date(2026, 11, n)


EXPECTED = [(day(1), 10.0, "mild"), (day(2), 11.0, "mild"), (day(3), 12.0, "cold")]


def test_matching_tables_have_no_diff():
    assert diff_rows(list(reversed(EXPECTED)), EXPECTED, columns=COLUMNS) == []


def test_the_diff_lists_duplicate_missing_extra_and_changed_rows():
    got = [
        (day(1), 10.0, "mild"),
        (day(1), 10.0, "mild"),  # a duplicate key
        (day(2), 15.5, "warm"),  # two values changed
        (day(4), 9.0, "cold"),  # an extra key; day 3 is missing
    ]
    assert diff_rows(got, EXPECTED, columns=COLUMNS) == [
        "duplicate keys (1): 2026-11-01 ×2",
        "missing keys (1): 2026-11-03",
        "extra keys (1): 2026-11-04",
        "changed (1):",
        "  2026-11-02: temp 15.5 (expected 11.0), summary 'warm' (expected 'mild')",
    ]


def test_floats_compare_with_a_tolerance_but_real_changes_show():
    assert diff_rows([(1, 0.1 + 0.2)], [(1, 0.3)]) == []
    assert diff_rows([(1, 0.3001)], [(1, 0.3)]) == ["changed (1):", "  1: column 2 0.3001 (expected 0.3)"]


def test_a_row_with_the_wrong_number_of_columns_is_changed():
    assert diff_rows([(1, 2.0)], [(1, 2.0, "x")]) == ["changed (1):", "  1: 2 columns (expected 3)"]


def test_long_listings_are_cut_with_a_count():
    lines = diff_rows([], [(day(n), 0.0) for n in range(1, 13)])
    assert lines == [
        ("missing keys (12): 2026-11-01, 2026-11-02, 2026-11-03, 2026-11-04, 2026-11-05, 2026-11-06, "
         "2026-11-07, 2026-11-08, … (+4 more)")
    ]


def test_integer_keys_are_listed_in_numeric_order():
    lines = diff_rows([], [(n, 0) for n in range(1, 13)])
    assert lines == ["missing keys (12): 1, 2, 3, 4, 5, 6, 7, 8, … (+4 more)"]


def test_the_key_can_be_a_function():
    got, expected = [("a", 1, "x")], [("a", 2, "x")]
    assert diff_rows(got, expected, key=lambda row: (row[0], row[1])) == [
        "missing keys (1): ('a', 2)",
        "extra keys (1): ('a', 1)",
    ]


def test_check_rows_fails_with_a_one_line_reason_the_diff_and_the_hint():
    got = [(day(1), 10.0, "mild"), (day(2), 11.0, "mild")]
    with pytest.raises(LabCheckFailed) as err:
        check_rows(got, EXPECTED, what="weather_forecast", columns=COLUMNS, hint="keep the newest row per date")
    lines = str(err.value).splitlines()
    assert lines == [
        "weather_forecast differs from what a correct load gives (missing keys (1): 2026-11-03)",
        "  missing keys (1): 2026-11-03",
        "Hint: keep the newest row per date",
    ]
    assert isinstance(err.value, AssertionError)  # plain pytest reports it as a failed assertion


def test_check_rows_says_values_differ_when_only_values_changed():
    got = [(day(1), 10.0, "mild"), (day(2), 11.0, "mild"), (day(3), 20.0, "cold")]
    with pytest.raises(LabCheckFailed) as err:
        check_rows(got, EXPECTED, what="weather_forecast", columns=COLUMNS)
    assert str(err.value).splitlines()[0] == "weather_forecast differs from what a correct load gives (values differ)"
    assert "  2026-11-03: temp 20.0 (expected 12.0)" in str(err.value)
    assert "Hint" not in str(err.value)


def test_check_rows_accepts_the_same_rows_in_any_order_with_float_noise():
    got = [(d, temp + 1e-12, summary) for d, temp, summary in reversed(EXPECTED)]
    assert check_rows(got, EXPECTED, columns=COLUMNS) is None


def test_check_equal_and_check_explain_expected_and_got():
    check_equal(0.1 + 0.2, 0.3, "a float sum")  # within tolerance: no failure
    with pytest.raises(LabCheckFailed, match=r"^rows after 3 runs: expected 10, got 24\nHint: dedupe$"):
        check_equal(24, 10, "rows after 3 runs", hint="dedupe")
    with pytest.raises(LabCheckFailed, match=r"^the DAG has no schedule$"):
        check(False, "the DAG has no schedule")


def test_finishes_within_returns_results_errors_and_fails_a_hang():
    import threading

    from labkit.grading.checks import LabCheckFailed, finishes_within

    assert finishes_within(5, lambda: 42, "answer").result == 42
    outcome = finishes_within(5, lambda: 1 / 0, "division")
    assert isinstance(outcome.error, ZeroDivisionError) and outcome.result is None
    release = threading.Event()
    with pytest.raises(LabCheckFailed, match=r"hang was still waiting after 0\.3 s"):
        finishes_within(0.3, release.wait, "hang")
    release.set()

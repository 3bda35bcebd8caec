"""labkit.grading.explain: every kind of failure becomes (outcome, one-line reason, details)."""
from __future__ import annotations

import pytest
import pytest_timeout

from labkit.grading.checks import fail
from labkit.grading.explain import failure
from labkit.grading.loader import LabLoadError
from labkit.grading.report import FAILED, TIMEOUT


def explained(func) -> tuple[str, str, str]:
    with pytest.raises(BaseException) as excinfo:  # noqa: PT011 - whatever a check raises is what failure() explains
        func()
    return failure(excinfo, None)


def test_a_check_failure_gives_its_first_line_as_reason():
    outcome, reason, details = explained(lambda: fail("3 date(s) appear twice\n  2026-11-02 ×2", hint="use ROW_NUMBER"))
    assert (outcome, reason) == (FAILED, "3 date(s) appear twice")
    assert details == "3 date(s) appear twice\n  2026-11-02 ×2\nHint: use ROW_NUMBER"


def test_a_load_error_gives_its_first_line_as_reason():
    def load():
        raise LabLoadError("lab1.py has a syntax error on line 3: invalid syntax.\n    x = = 1\n      ^")

    outcome, reason, details = explained(load)
    assert (outcome, reason) == (FAILED, "lab1.py has a syntax error on line 3: invalid syntax.")
    assert details.endswith("      ^")


def pytest_timeout_fires():
    """What pytest-timeout (signal method) raises when a test runs past its limit."""
    pytest.fail(pytest_timeout.PYTEST_FAILURE_MESSAGE % 20.0)


def test_a_per_test_timeout_is_reported_as_timeout():
    outcome, reason, details = explained(pytest_timeout_fires)
    assert outcome == TIMEOUT
    assert "the code never finished. Look for a loop that never ends" in reason
    assert details == reason


def test_a_per_test_timeout_names_the_limit_cleanly():
    _, reason, _ = explained(pytest_timeout_fires)
    assert reason.startswith("stopped after 20 s: the code never finished.")


def test_an_unwritten_function_says_what_to_write():
    def stub():
        raise NotImplementedError("TODO: call requests.get with a timeout")

    outcome, reason, details = explained(stub)
    assert (outcome, reason) == (FAILED, "not written yet (TODO: call requests.get with a timeout)")
    assert details.startswith("NotImplementedError: TODO: call requests.get with a timeout")


def test_any_other_exception_gives_type_and_text():
    outcome, reason, _ = explained(lambda: {}["daily"])
    assert (outcome, reason) == (FAILED, "KeyError: 'daily'")


def test_long_details_are_clipped():
    _, _, details = explained(lambda: fail("\n".join(f"line {n}" for n in range(1, 41))))
    lines = details.splitlines()
    assert len(lines) == 26
    assert lines[-1] == "… (15 more lines in the full log)"

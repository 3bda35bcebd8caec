"""Every graded test's time limit covers the waits it allows the code under test.

A test that gives a call 30 s (`finishes_within(30, …)`) but keeps the default 20 s limit
is a verdict that depends on load: on a busy machine a correct, slow call is cut off by the
limit instead of being judged by the test. Such a test declares its own limit, and so does
every test that waits on a live scheduler.
"""
from __future__ import annotations

import ast

import pytest

from labkit.paths import TESTS

DEFAULT_LIMIT = 20  # pyproject.toml: [tool.pytest.ini_options] timeout
MARGIN = 5  # setup, teardown, the assertion after the call

GRADED = sorted([*TESTS.glob("lab*/test_*.py"), *TESTS.glob("hidden/lab*/test_*.py")])


def _graded_functions(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            marks = {getattr(d.func, "attr", ""): d for d in node.decorator_list if isinstance(d, ast.Call)}
            if "points" in marks:
                yield node, marks


def _waits(node: ast.FunctionDef) -> float:
    return sum(
        call.args[0].value
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "finishes_within"
        and call.args and isinstance(call.args[0], ast.Constant)
    )


@pytest.mark.parametrize("path", GRADED, ids=lambda p: str(p.relative_to(TESTS)))
def test_a_tests_limit_covers_the_waits_it_allows(path):
    short = []
    for node, marks in _graded_functions(path):
        declared = marks.get("timeout")
        limit = DEFAULT_LIMIT
        if declared is not None and declared.args and isinstance(declared.args[0], ast.Constant):
            limit = declared.args[0].value
        elif declared is not None:
            continue  # a computed limit (WAIT + 15): checked where it is computed
        if _waits(node) and _waits(node) + MARGIN > limit:
            short.append(f"{node.name}: waits up to {_waits(node):g} s, limit {limit:g} s")
    assert not short, "\n".join(short)


def test_tests_that_drive_a_live_scheduler_declare_their_limit():
    """Lab 4's real triggered run and lab 5's scheduler tests wait on Airflow, not on code."""
    for path, name in (("lab4/test_3_dags.py", "test_trigger_with_conf_and_wait_for_success"),
                       ("lab5/test_5_scheduler.py", None)):
        for node, marks in _graded_functions(TESTS / path):
            if name in (None, node.name):
                assert "timeout" in marks, f"{path}::{node.name} waits on a scheduler without declaring its limit"

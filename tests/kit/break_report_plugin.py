"""A pytest plugin for one kit test: pytest's own reporting breaks in one chosen test.

It raises where CPython 3.11's real race did (pytest-dev/pytest#10763): while pytest builds
the report of a failed test. pytest answers with INTERNALERROR and exit code 3.
"""
from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if call.when == "call" and item.name == os.environ.get("LABKIT_KIT_BREAK_REPORT_IN"):
        raise SystemError("AST constructor recursion depth mismatch (simulated by the kit's tests)")

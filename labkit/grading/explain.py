"""Turn a failed test into a one-line reason and a short explanation a student can act on."""
from __future__ import annotations

import errno
import re

import pytest

from labkit.grading.checks import LabCheckFailed
from labkit.grading.loader import LabLoadError, describe_exception
from labkit.grading.report import FAILED, TIMEOUT

MAX_DETAIL_LINES = 25


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _clip(text: str) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) > MAX_DETAIL_LINES:
        lines = [*lines[:MAX_DETAIL_LINES], f"… ({len(lines) - MAX_DETAIL_LINES} more lines in the full log)"]
    return "\n".join(lines)


def failure(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> tuple[str, str, str]:
    """(outcome, one-line reason, details) for a failed test phase."""
    outcome, reason, details = _failure(excinfo, item)
    return outcome, reason, _with_sandbox_note(details)


_FILE_ERROR = re.compile(r"(?:FileNotFoundError|PermissionError|NotADirectoryError|IsADirectoryError)\b.*?'(/[^']+)'")


def _with_sandbox_note(details: str) -> str:
    """In a jailed grading run, a file error about a path the jail does not show (the code
    looked for something on the grading machine, e.g. the reference) says why it failed,
    wherever the error was reported (a test, a DAG's import error, a task's log)."""
    import os

    from labkit.grading.loader import SANDBOX_NOTE

    if os.environ.get("LABKIT_SANDBOX", "none") == "none" or SANDBOX_NOTE in details:
        return details
    for path in _FILE_ERROR.findall(details):
        if not path.startswith((os.getcwd(), "/tmp", "/proc", "/dev")):
            return details.rstrip() + "\n" + SANDBOX_NOTE
    return details


def _failure(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> tuple[str, str, str]:
    err = excinfo.value
    if isinstance(err, LabLoadError):
        text = str(err)
        return FAILED, _first_line(text), _clip(text)
    if isinstance(err, LabCheckFailed):
        text = str(err)
        return FAILED, _first_line(text), _clip(text)
    if excinfo.typename == "Failed":  # pytest.fail(), including pytest-timeout's
        text = str(getattr(err, "msg", err))
        if text.startswith("Timeout"):
            found = re.search(r">\s*([\d.]+)\s*s", text)  # "Timeout (>20.0s) from pytest-timeout."
            limit = f"{float(found.group(1)):g} s" if found else "the time limit"
            message = (
                f"stopped after {limit}: the code never finished. Look for a loop that never ends, "
                "or a network call without a timeout."
            )
            return TIMEOUT, message, message
        return FAILED, _first_line(text), _clip(text)
    if isinstance(err, OSError) and err.errno == errno.EFBIG:
        message = "the code wrote too much (output or a file) and hit the grader's size limit: print in a loop?"
        return FAILED, message, message
    if isinstance(err, NotImplementedError):
        text = str(err) or "a function still raises NotImplementedError"
        reason = f"not written yet: {text}" if not text.startswith("TODO") else f"not written yet ({text})"
        return FAILED, reason, _clip(describe_exception(err))
    if isinstance(err, AssertionError):
        text = str(err) or "an assertion failed"
        return FAILED, _first_line(text), _clip(text)
    text = describe_exception(err)
    return FAILED, _first_line(text), _clip(text)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"

"""Assertions that teach: expected vs got, row-level table diffs, and a hint naming the concept.

    check_rows(got, expected, key=0, hint="dedupe keeps the NEWEST row per date (ROW_NUMBER … DESC)")

fails with

    Table weather_forecast differs from what a correct load gives:
      missing keys (2): 2026-11-09, 2026-11-10
      extra keys (0)
      changed (1):
        2026-11-03: temp 21.8 (expected 17.2)
    Hint: dedupe keeps the NEWEST row per date (ROW_NUMBER … DESC)
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_LISTED = 8


class LabCheckFailed(AssertionError):
    """A graded expectation was not met. The first line is the one-line reason."""


def fail(message: str, hint: str | None = None) -> None:
    if hint:
        message += f"\nHint: {hint}"
    raise LabCheckFailed(message)


def check(condition: bool, message: str, hint: str | None = None) -> None:
    if not condition:
        fail(message, hint)


def check_equal(got: Any, expected: Any, what: str, hint: str | None = None) -> None:
    if not _same(got, expected):
        fail(f"{what}: expected {expected!r}, got {got!r}", hint)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _fmt(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else repr(value) if isinstance(value, str) else str(value)


def _sorted(keys: Iterable[Any]) -> list[Any]:
    """Keys in their natural order (numbers as numbers), or as text when types are mixed."""
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=_fmt)


def _listing(keys: Sequence[Any]) -> str:
    shown = ", ".join(_fmt(k) for k in keys[:MAX_LISTED])
    return shown + (f", … (+{len(keys) - MAX_LISTED} more)" if len(keys) > MAX_LISTED else "")


def diff_rows(
    got: Iterable[Sequence[Any]],
    expected: Iterable[Sequence[Any]],
    *,
    key: int | Callable[[Sequence[Any]], Any] = 0,
    columns: Sequence[str] | None = None,
) -> list[str]:
    """Lines describing how `got` differs from `expected` (empty when they match)."""
    keyfn = key if callable(key) else (lambda row, i=key: row[i])
    got, expected = list(got), list(expected)
    lines: list[str] = []

    counts = Counter(keyfn(row) for row in got)
    dupes = _sorted(k for k, n in counts.items() if n > 1)
    if dupes:
        lines.append(f"duplicate keys ({len(dupes)}): " + ", ".join(f"{_fmt(k)} ×{counts[k]}" for k in dupes[:MAX_LISTED]))

    got_by = {keyfn(row): row for row in got}
    exp_by = {keyfn(row): row for row in expected}
    missing = _sorted(set(exp_by) - set(got_by))
    extra = _sorted(set(got_by) - set(exp_by))
    if missing:
        lines.append(f"missing keys ({len(missing)}): {_listing(missing)}")
    if extra:
        lines.append(f"extra keys ({len(extra)}): {_listing(extra)}")

    changed = []
    for k in _sorted(set(got_by) & set(exp_by)):
        g, e = got_by[k], exp_by[k]
        cells = [
            f"{columns[i] if columns and i < len(columns) else f'column {i + 1}'} {_fmt(gv)} (expected {_fmt(ev)})"
            for i, (gv, ev) in enumerate(zip(g, e, strict=False))  # a length difference is reported below
            if not _same(gv, ev)
        ]
        if len(g) != len(e):
            cells.append(f"{len(g)} columns (expected {len(e)})")
        if cells:
            changed.append(f"  {_fmt(k)}: " + ", ".join(cells))
    if changed:
        lines.append(f"changed ({len(changed)}):")
        lines += changed[:MAX_LISTED]
        if len(changed) > MAX_LISTED:
            lines.append(f"  … (+{len(changed) - MAX_LISTED} more)")
    return lines


def check_rows(
    got: Iterable[Sequence[Any]],
    expected: Iterable[Sequence[Any]],
    *,
    what: str = "the table",
    key: int | Callable[[Sequence[Any]], Any] = 0,
    columns: Sequence[str] | None = None,
    hint: str | None = None,
) -> None:
    lines = diff_rows(got, expected, key=key, columns=columns)
    if lines:
        head = lines[0] if not lines[0].startswith("changed") else "values differ"
        fail(f"{what} differs from what a correct load gives ({head})\n  " + "\n  ".join(lines), hint)


@dataclass
class Outcome:
    """What a call ended with: its result or the exception it raised, and how long it took."""

    result: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


def watch(seconds: float, call: Callable[[], Any], name: str = "watched call") -> tuple[Outcome, bool]:
    """Run `call` in a daemon thread for at most `seconds`, without judging: (what it did so
    far, whether it ended). For tests that judge something else than whether it returns."""
    outcome = Outcome()
    started = time.monotonic()

    def run() -> None:
        try:
            outcome.result = call()
        except BaseException as error:  # reported to the test, not raised in the thread
            outcome.error = error
        outcome.seconds = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True, name=f"labkit: {name}")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        outcome.seconds = time.monotonic() - started
        return outcome, False
    return outcome, True


def finishes_within(seconds: float, call: Callable[[], Any], what: str, hint: str | None = None) -> Outcome:
    """Run `call` in a daemon thread and wait at most `seconds`: a student's call that hangs
    fails this test with a reason instead of hanging the whole grading run."""
    outcome, ended = watch(seconds, call, what)
    if not ended:
        fail(f"{what} was still waiting after {seconds:g} s", hint)
    return outcome

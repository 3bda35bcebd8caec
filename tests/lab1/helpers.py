"""Helpers lab 1's tests share."""
from __future__ import annotations

import math

TABLE = "weather_forecast"
COLUMNS = ("date", "temp", "min_temp", "max_temp", "summary")


def table_rows(warehouse, table=TABLE):
    return warehouse.query(f"SELECT date, temp, min_temp, max_temp, summary FROM {table} ORDER BY date")


def newest_rows(api, revisions):
    """What the table must hold after loading `revisions` in order: the newest row per date."""
    newest = {}
    for revision in revisions:
        for row in api.expected_rows(revision):
            newest[row[0]] = row
    return [newest[day] for day in sorted(newest)]


def _same_row(a, b) -> bool:
    return len(a) == len(b) and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) if isinstance(x, float) and isinstance(y, (int, float)) else x == y
        for x, y in zip(a, b, strict=True)
    )


def missing_newest(warehouse, expected, table=TABLE) -> list[str]:
    """The dates of `expected` whose newest row the table does not hold (extra rows for a
    date are another test's business): one readable line each."""
    held = {}
    for row in table_rows(warehouse, table):
        held.setdefault(row[0], []).append(tuple(row))
    problems = []
    for row in expected:
        rows = held.get(row[0], [])
        if not any(_same_row(tuple(row), got) for got in rows):
            found = "no row" if not rows else "temp " + ", ".join(f"{got[1]:g}" for got in rows)
            problems.append(f"{row[0]}: {found} (newest forecast: temp {row[1]:g})")
    return problems

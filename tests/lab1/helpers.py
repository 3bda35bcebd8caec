"""Helpers lab 1's tests share."""
from __future__ import annotations

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

# Generated from dags/lab1_dedupe_upsert.py by `labkit release`: edit the parts marked TODO.
"""Lab 1 — weather forecast ETL with a dedupe upsert (중복 제거 업서트).

Every morning the API sends the forecast for the next 8 days again: one new day and 7
days we already have, with revised values. The warehouse table must end with exactly
one row per date — the newest forecast — and a `created_date` that says when that row
arrived.

The pattern (from the course's Weather_to_Redshift v2): copy the table into a staging
table, add the new rows there, then in ONE transaction empty the table and refill it
with the newest row per date (`ROW_NUMBER() OVER (PARTITION BY date ORDER BY
created_date DESC) = 1`). Warehouses such as Redshift do not enforce primary keys,
which is why this pattern exists; PostgreSQL does, so `upsert_on_conflict` shows the
native `INSERT … ON CONFLICT DO UPDATE` for contrast.

What this version fixes in the course code: the staging table keeps the column DEFAULT
(`LIKE … INCLUDING DEFAULTS`, not CTAS), the final insert keeps each row's
`created_date`, everything runs in one transaction, values travel as parameters or
through COPY (never pasted into SQL), the load is one bulk statement, the API call has
a timeout and a status check, `dt` is read in UTC, and Variables are read inside tasks.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import datetime, timedelta, timezone
from typing import Any

import pendulum
import psycopg2
import requests
from psycopg2 import sql
from psycopg2.extras import execute_values

from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import Variable, dag, task

WAREHOUSE_CONN_ID = "warehouse"
TABLE = "weather_forecast"
NATIVE_TABLE = "weather_forecast_native"
SEOUL = {"lat": 37.5665, "lon": 126.9780}
COLUMNS = ("date", "temp", "min_temp", "max_temp", "summary")

# One forecast row: (date, temp, min_temp, max_temp, summary).
Row = Sequence[Any]

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def table_identifier(name: str) -> sql.Identifier:
    """Turn 'table' or 'schema.table' into a quoted identifier, refusing anything else.

    Values travel as query parameters; identifiers cannot, so they are validated here and
    quoted by psycopg2.sql. A name such as "x; DROP TABLE y" never reaches the database.
    """
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_NAME.match(part) for part in parts):
        raise ValueError(f"not a safe table name: {name!r} (use lower-case letters, digits and _)")
    return sql.Identifier(*parts)


def warehouse_connection():
    """A psycopg2 connection to the warehouse, from the Airflow connection `warehouse`.

    PostgresHook.get_conn() returns a psycopg 3 connection whenever psycopg 3 is installed
    (the provider installs it); this lab's SQL is written for psycopg2, so we take the
    hook's connection settings and connect with psycopg2.
    """
    conn = PostgresHook.get_connection(WAREHOUSE_CONN_ID)
    return psycopg2.connect(
        host=conn.host,
        port=conn.port or 5432,
        user=conn.login,
        password=conn.password,
        dbname=conn.schema,
        connect_timeout=10,
    )


# ---- Extract ---------------------------------------------------------------------------
def fetch_forecast(url: str, api_key: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """GET the daily forecast for Seoul and return the decoded JSON."""
    # TODO: call requests.get with params (lat, lon, appid) and a timeout, fail on a non-2xx status, return the JSON
    raise NotImplementedError('TODO: call requests.get with params (lat, lon, appid) and a timeout, fail on a non-2xx status, return the JSON')


# ---- Transform -------------------------------------------------------------------------
def to_rows(payload: dict[str, Any]) -> list[Row]:
    """One (date, temp, min_temp, max_temp, summary) row per entry of payload["daily"]."""
    # TODO: read payload["daily"]; refuse an empty forecast; convert dt (unix seconds) to a date IN UTC
    raise NotImplementedError('TODO: read payload["daily"]; refuse an empty forecast; convert dt (unix seconds) to a date IN UTC')


# ---- Load: staging + ROW_NUMBER + one transaction ---------------------------------------
def create_table(cur, table: str = TABLE) -> None:
    """Create the forecast table if it is missing; `created_date` defaults to now()."""
    # TODO: CREATE TABLE IF NOT EXISTS with date, temp, min_temp, max_temp, summary and created_date timestamp DEFAULT now()
    raise NotImplementedError('TODO: CREATE TABLE IF NOT EXISTS with date, temp, min_temp, max_temp, summary and created_date timestamp DEFAULT now()')


def copy_rows(cur, table: sql.Composable, rows: Iterable[Row]) -> None:
    """Bulk-load rows with one COPY: no SQL is built from values, so quotes are harmless."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(table, columns), buffer)


def upsert_dedupe(conn, rows: Iterable[Row], table: str = TABLE) -> int:
    """Add `rows` to `table`, keeping one row per date: the newest. Returns the row count.

    Runs in one transaction: if anything fails, the table is exactly as it was before.
    """
    # TODO: in one transaction: create the table, stage old + new rows (LIKE ... INCLUDING DEFAULTS), DELETE, INSERT the newest row per date with ROW_NUMBER
    raise NotImplementedError('TODO: in one transaction: create the table, stage old + new rows (LIKE ... INCLUDING DEFAULTS), DELETE, INSERT the newest row per date with ROW_NUMBER')


# ---- The PostgreSQL-native alternative ----------------------------------------------------
def upsert_on_conflict(conn, rows: Iterable[Row], table: str = NATIVE_TABLE) -> int:
    """Same result with a primary key and INSERT … ON CONFLICT DO UPDATE. Returns the row count.

    `created_date` is left out of the UPDATE, so it keeps the first load's time;
    `updated_date` records the revision.
    """
    # TODO: create the table with date PRIMARY KEY, then one INSERT ... ON CONFLICT (date) DO UPDATE; dedupe the batch first
    raise NotImplementedError('TODO: create the table with date PRIMARY KEY, then one INSERT ... ON CONFLICT (date) DO UPDATE; dedupe the batch first')


# ---- The DAG -------------------------------------------------------------------------------
@dag(
    dag_id="lab1_dedupe_upsert",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule=None,  # TODO: a daily schedule, catchup=False, and default_args with retries
    tags=["lab1", "course"],
    doc_md=__doc__,
)
def lab1_dedupe_upsert():
    @task
    def extract() -> dict[str, Any]:
        # Variables are read when the task runs, never when the file is parsed.
        return fetch_forecast(Variable.get("weather_api_url"), Variable.get("weather_api_key"))

    @task
    def transform(payload: dict[str, Any]) -> list[list[Any]]:
        # XCom carries JSON: dates travel as ISO strings, which PostgreSQL reads as dates.
        return [[day.isoformat(), *rest] for day, *rest in to_rows(payload)]

    @task
    def load(rows: list[list[Any]]) -> int:
        with closing(warehouse_connection()) as conn:
            return upsert_dedupe(conn, rows)

    @task
    def load_native(rows: list[list[Any]]) -> int:
        with closing(warehouse_connection()) as conn:
            return upsert_on_conflict(conn, rows)

    rows = transform(extract())
    load(rows)
    load_native(rows)


lab1_dedupe_upsert()

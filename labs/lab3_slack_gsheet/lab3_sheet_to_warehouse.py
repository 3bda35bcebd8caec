# Generated from dags/lab3_sheet_to_warehouse.py by `labkit release`: edit the parts marked TODO.
"""Lab 3 — a Google Sheet → S3 → the warehouse, validated and replaced atomically (구글 시트 → Redshift).

The marketing team keeps its channel budget in a spreadsheet. Every morning:

1. **extract**: read the tab with gspread (the service account's key comes from the masked
   connection `google_sheets`, in memory only); check the header; clean `$12,000`,
   `11,873.50` and `5.32%` into numbers; refuse the whole sheet — naming row and column —
   if any cell is not what the column needs; write the clean rows as CSV to S3;
2. **load**: read that CSV back from S3 and `COPY … FROM STDIN` it into
   `public.channel_budget`, replacing the old rows in one transaction.

S3 keeps every day's CSV, so yesterday's load can be replayed and audited. A bad sheet
fails in extract, before anything is written; a load that fails leaves the table as it was.

What this version fixes in the course's Gsheet_to_Redshift: the key is never written to a
file; `$`, `,` and `%` are always cleaned and every value is validated (the course trusted
the sheet and let Redshift reject it halfway); the load replaces the table atomically
instead of `DELETE` in one statement and `COPY` in another; failures alert Slack. On
PostgreSQL, Redshift's `COPY … FROM 's3://…' IGNOREHEADER 1` becomes `COPY … FROM STDIN`
fed with the S3 object.
"""
from __future__ import annotations

import csv
import io
import re
from contextlib import closing
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pendulum
from psycopg2 import sql

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import dag, get_current_context, task

from common.alerts import task_failure_alert, task_retry_alert
from common.sheets import sheets_client
from common.warehouse import warehouse_connection

SPREADSHEET = "Marketing plan 2019"
TAB = "channel_budget"
COLUMNS = ("month", "channel", "budget", "spend", "conversion_rate")
SCHEMA, TABLE = "public", "channel_budget"
BUCKET = "labkit-lab3"

CREATE_TABLE = sql.SQL(
    """CREATE TABLE IF NOT EXISTS {table} (
        month date NOT NULL,
        channel text NOT NULL,
        budget numeric(12, 2) NOT NULL,
        spend numeric(12, 2) NOT NULL,
        conversion_rate numeric(7, 5) NOT NULL,
        PRIMARY KEY (month, channel)
    )"""
)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class SheetFormatError(ValueError):
    """The sheet is not what the table expects. The message names the row and column to fix."""


def column_letter(index: int) -> str:
    """A 0-based column index as Sheets labels it: 0 → A, 5 → F, 26 → AA."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# ---- Cleaning and validating what people typed ---------------------------------------------
def clean_number(cell: str) -> Decimal:
    """`$12,000` → 12000, `11,873.50` → 11873.50, `5.32%` → 0.0532; anything else raises ValueError.

    Decimal, not float: money and rates must arrive in the table exactly as typed.
    """
    # TODO: strip spaces, drop "$" and ",", a trailing "%" divides by 100; return a Decimal; raise ValueError for empty or non-numeric text
    raise NotImplementedError('TODO: strip spaces, drop "$" and ",", a trailing "%" divides by 100; return a Decimal; raise ValueError for empty or non-numeric text')


def clean_row(row: list[str], row_number: int) -> tuple[date, str, Decimal, Decimal, Decimal]:
    """One sheet row as typed values. `row_number` is the row as Sheets shows it (header = 1)."""
    # TODO: month "YYYY-MM" → date(YYYY, MM, 1); channel non-empty text; budget, spend, conversion_rate via clean_number; a value beyond the five columns is a problem too (column_letter names its column); any problem raises SheetFormatError naming f"row {row_number}", the column name and the bad value
    raise NotImplementedError('TODO: month "YYYY-MM" → date(YYYY, MM, 1); channel non-empty text; budget, spend, conversion_rate via clean_number; a value beyond the five columns is a problem too (column_letter names its column); any problem raises SheetFormatError naming f"row {row_number}", the column name and the bad value')


def validate(rows: list[list[str]]) -> list[tuple]:
    """Header check, then every row cleaned; the first problem stops everything."""
    if not rows:
        raise SheetFormatError(f"tab {TAB!r} is empty: expected a header row {', '.join(COLUMNS)}")
    header = [cell.strip().lower() for cell in rows[0]]
    while header and not header[-1]:  # gspread pads every row to the widest: a note in F7 pads the header too
        header.pop()
    # TODO: the header must be exactly COLUMNS (raise SheetFormatError naming the expected and the found columns); then clean_row for every non-empty row, numbered as Sheets shows them (data starts at row 2)
    raise NotImplementedError('TODO: the header must be exactly COLUMNS (raise SheetFormatError naming the expected and the found columns); then clean_row for every non-empty row, numbered as Sheets shows them (data starts at row 2)')


def to_csv(records: list[tuple]) -> str:
    """Clean rows as CSV with a header: what goes to S3 and then to COPY."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(records)
    return out.getvalue()


# ---- Loading -------------------------------------------------------------------------------
def replace_table(conn, csv_text: str) -> int:
    """Replace every row of public.channel_budget with the CSV, atomically. Returns the row count.

    Readers see the old rows until COMMIT and the new ones after; on any error they keep
    seeing the old rows.
    """
    table = sql.Identifier(SCHEMA, TABLE)
    # TODO: in ONE transaction (with conn:): CREATE_TABLE, DELETE every row (not TRUNCATE, which blocks readers), COPY (COLUMNS) FROM STDIN WITH (FORMAT csv, HEADER true), then return the count
    raise NotImplementedError('TODO: in ONE transaction (with conn:): CREATE_TABLE, DELETE every row (not TRUNCATE, which blocks readers), COPY (COLUMNS) FROM STDIN WITH (FORMAT csv, HEADER true), then return the count')


def s3_key(logical_date) -> str:
    """One object per day: `gsheet/channel_budget/2019-12-01.csv` (replaying a day overwrites it)."""
    return f"gsheet/{TAB}/{logical_date:%Y-%m-%d}.csv"


# ---- The DAG --------------------------------------------------------------------------------
@dag(
    dag_id="lab3_sheet_to_warehouse",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule="0 7 * * *",
    catchup=False,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(minutes=3),
        # TODO: alert Slack when any task fails, and when it is retried (common.alerts)
    },
    tags=["lab3", "course"],
    doc_md=__doc__,
)
def lab3_sheet_to_warehouse():
    @task
    def extract() -> str:
        """Sheet → validated CSV in S3. Returns the object key."""
        worksheet = sheets_client().open(SPREADSHEET).worksheet(TAB)
        records = validate(worksheet.get_all_values())
        context = get_current_context()
        # A manual run without a logical date keys its file by when it ran.
        key = s3_key(context.get("logical_date") or context["dag_run"].run_after)
        s3 = S3Hook(aws_conn_id="aws_default")
        if not s3.check_for_bucket(BUCKET):
            s3.create_bucket(BUCKET)
        s3.load_string(to_csv(records), key=key, bucket_name=BUCKET, replace=True)
        return key

    @task
    def load(key: str) -> int:
        """S3 CSV → the table, replacing it in one transaction."""
        csv_text = S3Hook(aws_conn_id="aws_default").read_key(key, bucket_name=BUCKET)
        with closing(warehouse_connection()) as conn:
            return replace_table(conn, csv_text)

    load(extract())


lab3_sheet_to_warehouse()

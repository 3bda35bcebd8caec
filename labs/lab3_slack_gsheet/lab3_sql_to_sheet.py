# Generated from dags/lab3_sql_to_sheet.py by `labkit release`: edit the parts marked TODO.
"""Lab 3 — publish a query's result to a Google Sheet, never leaving it empty (Redshift SELECT → 구글 시트).

The lab 2 summary `analytics.nps_summary_monthly` goes to the tab `nps_monthly` of the
spreadsheet "NPS dashboard", header first, so people who never open a SQL client see it.

The course cleared the tab and then wrote the rows: two requests. When the second one
fails (a quota error, a timeout, a deploy in the middle), the sheet stays empty until
someone notices. Here the whole tab is written in **one** `values.update` request: the
new rows, and blanks over whatever the old content had beyond them. Google applies a
single request entirely or not at all, so readers see the old table or the new one, never
half of each.

Why not write a new tab and swap it in? That also works (one `batchUpdate` deleting the
old tab and renaming the new one is atomic too), but the tab gets a new id: links to it
(`#gid=…`), charts and other tabs' formulas that point at it all break. Overwriting in one
request keeps the tab. It needs the whole result in one request — fine for a summary
(Sheets caps a spreadsheet at 10 million cells anyway); a table too big for that does not
belong in a spreadsheet.
"""
from __future__ import annotations

from contextlib import closing
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import gspread
import pendulum

from airflow.sdk import dag, task

from common.alerts import task_failure_alert, task_retry_alert
from common.sheets import sheets_client
from common.warehouse import warehouse_connection

QUERY = "SELECT month, nps FROM analytics.nps_summary_monthly ORDER BY month"
SPREADSHEET = "NPS dashboard"
TAB = "nps_monthly"


def run_query(conn, query: str = QUERY) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a read-only query."""
    with conn.cursor() as cur:
        cur.execute(query)
        header = [column.name for column in cur.description]
        return header, cur.fetchall()


def cell(value: Any) -> str | int | float:
    """A database value as a Sheets cell: numbers stay numbers, dates become ISO text.

    Written RAW, `2019-01-01` stays text; USER_ENTERED would turn it into a date shown in
    the spreadsheet's locale (1/1/2019 for some readers, 2019. 1. 1 for others).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def to_values(header: list[str], rows: list[tuple]) -> list[list[Any]]:
    """Header + rows as the 2-D list Sheets takes."""
    return [list(header)] + [[cell(v) for v in row] for row in rows]


def replace_tab(spreadsheet: gspread.Spreadsheet, tab: str, values: list[list[Any]]) -> None:
    """Make `tab` hold exactly `values`, in a single write of its cells.

    A failure at any point leaves the tab with its previous content.
    """
    # TODO: find the tab (add it if missing); read what it holds now; pad `values` with "" to cover the old content's rows and columns; grow the grid first if too small (ws.resize); then ONE ws.update(padded, "A1", value_input_option="RAW") — never clear() first
    raise NotImplementedError('TODO: find the tab (add it if missing); read what it holds now; pad `values` with "" to cover the old content\'s rows and columns; grow the grid first if too small (ws.resize); then ONE ws.update(padded, "A1", value_input_option="RAW") — never clear() first')


@dag(
    dag_id="lab3_sql_to_sheet",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule="0 8 * * *",  # after lab 2's summaries (06:30) are built
    catchup=False,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(minutes=3),
        # TODO: alert Slack when any task fails, and when it is retried (common.alerts)
    },
    tags=["lab3", "course"],
    doc_md=__doc__,
)
def lab3_sql_to_sheet():
    @task
    def publish() -> int:
        """Query the warehouse, write header + rows to the tab in one request. Returns rows written."""
        with closing(warehouse_connection()) as conn:
            header, rows = run_query(conn)
        replace_tab(sheets_client().open(SPREADSHEET), TAB, to_values(header, rows))
        return len(rows)

    publish()


lab3_sql_to_sheet()

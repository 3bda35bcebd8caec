"""Lab 3 · SQL → Sheet: the tab shows the query result exactly, and a failed write never empties it."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from labkit.data import budget
from labkit.grading.checks import check, fail
from labkit.grading.dagcheck import import_failure
from labkit.grading.fixtures import dags_in_file
from tests.lab3.helpers import set_tab

DAG_ID = "lab3_sql_to_sheet"
QUERY = "SELECT month, nps FROM analytics.nps_summary_monthly ORDER BY month"
# What the tab held before: longer and wider than the new result, as a stale export would be.
OLD_TAB = [["month", "nps", "note"]] + [[f"2018-{m:02d}-01", str(30 + m), "old"] for m in range(1, 13)] + [["total", "", "old"]]
ATOMIC_HINT = "write header, rows and blanks over the old cells in ONE update; clear() then update() is two requests"


def _same_cell(got: str, want) -> bool:
    if str(got) == str(want):
        return True
    try:
        return Decimal(str(got)) == Decimal(str(want))
    except InvalidOperation:
        return False


def _expected(warehouse) -> list[list]:
    rows = warehouse.query(QUERY)
    return [["month", "nps"]] + [[month.isoformat(), nps] for month, nps in rows]


def _differences(got: list[list[str]], want: list[list]) -> list[str]:
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} rows in the tab; the query gives {len(want)} (header included)")
    for number, (g, w) in enumerate(zip(got, want, strict=False), start=1):  # a row count apart is reported above
        if len(g) != len(w) or not all(_same_cell(a, b) for a, b in zip(g, w, strict=True)):
            problems.append(f"row {number}: {g} ≠ {[str(x) for x in w]}")
    return problems


def _client(sheets_lib, google_sheets):
    """A gspread client built with the kit's given code, so only replace_tab is graded here."""
    return sheets_lib.client_from_info(google_sheets.service_account_info(), google_sheets.url)


@pytest.mark.points(3)
@pytest.mark.timeout(90)
def test_the_sheet_equals_the_query_result(to_sheet, warehouse, google_sheets, slack_webhook, dag_runner):
    """After the DAG runs, the tab holds the header and the query's rows exactly, with no stale cells left"""
    set_tab(google_sheets, budget.NPS_DASHBOARD, budget.NPS_TAB, OLD_TAB)
    dags, errors = dags_in_file(Path(to_sheet.__file__))
    check(not errors, import_failure("lab3_sql_to_sheet.py", errors))
    result = dag_runner(dags[DAG_ID])
    check(result.succeeded, result.summary())
    got = google_sheets.values(budget.NPS_DASHBOARD, budget.NPS_TAB)
    problems = _differences(got, _expected(warehouse))
    check(not problems, "the tab differs from the query result:\n  " + "\n  ".join(problems[:6]),
          "cells beyond the new result must be blanked (old rows and the old third column)")


@pytest.mark.points(3)
def test_a_failure_mid_write_keeps_the_previous_sheet(to_sheet, sheets_lib, warehouse, google_sheets):
    """Whichever write request fails, the tab keeps its previous content; once none fails, it holds the new one"""
    spreadsheet_title, tab = budget.NPS_DASHBOARD, budget.NPS_TAB
    new = _expected(warehouse)
    values = to_sheet.to_values(["month", "nps"], warehouse.query(QUERY))
    for failing in range(1, 8):
        set_tab(google_sheets, spreadsheet_title, tab, OLD_TAB)
        tabs_before = google_sheets.tabs(spreadsheet_title)
        spreadsheet = _client(sheets_lib, google_sheets).open(spreadsheet_title)
        writes_before = google_sheets.writes
        google_sheets.fail_write(failing)
        try:
            to_sheet.replace_tab(spreadsheet, tab, values)
        except NotImplementedError:
            raise
        except Exception as err:  # noqa: BLE001 - the injected failure, surfacing as gspread's APIError
            got = google_sheets.values(spreadsheet_title, tab)
            check(got == [[str(c) for c in row] for row in OLD_TAB],
                  f"write request #{failing} failed ({type(err).__name__}) and the tab was left "
                  + ("EMPTY" if not got else f"changed ({len(got)} rows, first {got[:2]})") + "; it must keep its previous content",
                  ATOMIC_HINT)
            check(google_sheets.tabs(spreadsheet_title) == tabs_before,
                  f"write request #{failing} failed and the tabs are now {google_sheets.tabs(spreadsheet_title)} "
                  f"(were {tabs_before}): clean up what you added")
            continue
        made = google_sheets.writes - writes_before
        check(made < failing, f"replace_tab hid a failed write (request #{failing} of {made} failed, and it returned normally)",
              "let the error propagate so the task fails and alerts")
        problems = _differences(google_sheets.values(spreadsheet_title, tab), new)
        check(not problems, "after a successful replace_tab the tab differs from the query result:\n  " + "\n  ".join(problems[:6]))
        return
    fail("replace_tab made more than 7 write requests for one small table")

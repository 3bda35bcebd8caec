"""Lab 3 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

import pytest
from psycopg2 import sql

from labkit.data import budget
from labkit.grading.checks import check, check_rows, fail
from labkit.grading.fixtures import dags_in_file
from tests.lab3.helpers import plain_sheet_rows, set_tab

TABLE = "public.channel_budget"
COLUMNS = ("month", "channel", "budget", "spend", "conversion_rate")
KEY = itemgetter(0, 1)  # (month, channel)
NOTE = "approved by Kim"


def _table(warehouse) -> list[tuple]:
    return warehouse.query(f"SELECT month, channel, budget, spend, conversion_rate FROM {TABLE} ORDER BY month, channel")


def _refusal(validate, rows) -> str | None:
    """validate's error message, or None when it accepted the rows."""
    try:
        validate(rows)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - the message is what is graded
        return f"{type(err).__name__}: {err}"
    return None


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_new_sheet_replaces_yesterdays_table_exactly(to_warehouse, warehouse, google_sheets, aws_s3, slack_webhook, dag_runner):
    """A sheet with fewer rows, other formats and a blank row replaces yesterday's whole table with exactly its rows"""
    warehouse.execute(to_warehouse.CREATE_TABLE.format(table=sql.Identifier("public", "channel_budget")))
    for row in budget.expected_rows():
        warehouse.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s)", row)
    rows = [list(budget.HEADER),
            ["2020-01", "Google", "$1,234,567.89", " 950 ", "12.5 %"],
            ["2020-01", "Kakao", "$0", "-$40.25", "0%"],
            ["", "", "", "", ""],  # someone left a gap
            ["2020-02", "Naver", "7000", "$6,999.99", "100%"]]
    expected = [(date(2020, 1, 1), "Google", Decimal("1234567.89"), Decimal("950"), Decimal("0.125")),
                (date(2020, 1, 1), "Kakao", Decimal("0"), Decimal("-40.25"), Decimal("0")),
                (date(2020, 2, 1), "Naver", Decimal("7000"), Decimal("6999.99"), Decimal("1"))]
    set_tab(google_sheets, budget.SPREADSHEET, budget.TAB, rows)
    dags, _errors = dags_in_file(Path(to_warehouse.__file__))
    check("lab3_sheet_to_warehouse" in dags, "lab3_sheet_to_warehouse.py does not define the DAG lab3_sheet_to_warehouse")
    result = dag_runner(dags["lab3_sheet_to_warehouse"])
    blank = "row 4" in " ".join(result.errors.values()).lower()
    check(result.succeeded, result.summary(),
          "a blank row is no problem: skip it (people leave gaps) and keep numbering the others as Sheets does" if blank else None)
    check_rows(_table(warehouse), expected, what=f"{TABLE} after loading a 3-row sheet over yesterday's 48 rows", key=KEY,
               columns=COLUMNS, hint="replace means every old row goes (DELETE), then exactly the sheet's rows arrive (COPY)")


NUMBERING_HINT = "Sheets counts the header as row 1, so the first data row is row 2: enumerate(rows[1:], start=2)"


def _rows_named(message: str) -> list[str]:
    return re.findall(r"row (\d+)", message.lower())


@pytest.mark.points(1)
def test_after_a_blank_row_problems_keep_their_sheets_row_number(to_warehouse):
    """After a blank row, a bad cell is still named by the row number Sheets shows"""
    rows = plain_sheet_rows()
    rows.insert(3, [""] * len(budget.HEADER))  # Sheets row 4 left blank
    refused = _refusal(to_warehouse.validate, rows)
    check(refused is None, f"validate refused a sheet whose only oddity is a blank row 4: {refused}",
          "a blank row is no problem: skip it (people leave gaps)")
    rows[8][3] = "12k"  # Sheets row 9, column spend
    refused = _refusal(to_warehouse.validate, rows)
    check(refused is not None, "validate accepted '12k' in row 9, column spend")
    if "row 9" in refused.lower() and "spend" in refused:
        return
    # Which mistake: the same sheet without the gap tells numbering from skipping.
    without_gap = rows[:3] + rows[4:]  # '12k' is now in Sheets row 8
    plain = _refusal(to_warehouse.validate, without_gap) or ""
    hint = None
    if "row 8" in plain.lower():
        hint = "number rows before skipping blank ones: enumerate(rows[1:], start=2), then skip the empty rows"
    elif _rows_named(plain):
        hint = NUMBERING_HINT
    fail(f"after a blank row 4, '12k' sits in Sheets row 9, column spend; the error said: {refused[:300]}", hint)


@pytest.mark.points(2)
def test_a_bad_month_an_empty_channel_and_a_stray_note_name_their_cell(to_warehouse):
    """A month typed 2019/03, an empty channel and a note beyond the last column each fail naming their row and column"""
    cases = []
    rows = plain_sheet_rows()
    rows[3][0] = "2019/03"
    cases.append(("the month '2019/03' in row 4", rows, "4", ("month",), "check the month against YYYY-MM before splitting it"))
    rows = plain_sheet_rows()
    rows[4][1] = " "
    cases.append(("an empty channel in row 5", rows, "5", ("channel",), "an empty channel is a problem: the table needs one"))
    # A note typed in F8: gspread pads every row (the header too) to the widest one, with ''.
    rows = [[*row, ""] for row in plain_sheet_rows()]
    rows[7][5] = NOTE
    cases.append((f"the note {NOTE!r} in F8, beyond the table's five columns", rows, "8", ("column f", NOTE.lower()),
                  "a value beyond the five columns is a problem: name its row and column (column_letter)"))
    for what, rows, row, columns, hint in cases:
        refused = _refusal(to_warehouse.validate, rows)
        if refused is None:
            fail(f"validate accepted {what}", hint)
        text = refused.lower()
        named_row, named_column = f"row {row}" in text, any(column in text for column in columns)
        if named_row and named_column:
            continue
        wrong_row = named_column and _rows_named(text) and row not in _rows_named(text)
        fail(f"the error for {what} should name row {row} and {' or '.join(columns)}; it said: {refused[:300]}",
             NUMBERING_HINT if wrong_row else hint)


@pytest.mark.points(1)
def test_an_empty_result_creates_a_missing_tab_with_its_header(to_sheet, sheets_lib, google_sheets):
    """Publishing a query with no rows to a tab that does not exist yet adds the tab, holding just the header"""
    spreadsheet = sheets_lib.client_from_info(google_sheets.service_account_info(), google_sheets.url).open(budget.NPS_DASHBOARD)
    try:
        to_sheet.replace_tab(spreadsheet, "nps_weekly", [["week", "nps"]])
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - what it raised is the finding
        fail(f"replace_tab on a missing tab with a header-only result raised {type(err).__name__}: {str(err)[:200]}",
             "a missing tab is added (spreadsheet.add_worksheet), sized from the header when there are no rows")
    tabs = google_sheets.tabs(budget.NPS_DASHBOARD)
    check("nps_weekly" in tabs, f"no tab 'nps_weekly' after replace_tab; the tabs are {tabs}")
    got = google_sheets.values(budget.NPS_DASHBOARD, "nps_weekly")
    check(got == [["week", "nps"]], f"the new tab holds {got}; expected just the header [['week', 'nps']]")

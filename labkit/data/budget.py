"""Lab 3's spreadsheet: a marketing team's 2019 channel budget, as people type it in Sheets.

Cells hold what a person sees: `$12,000`, `11,873.50` (someone forgot the `$`), `$950`,
`5.32%`. The DAG cleans them into numbers; `expected_rows()` is the kit's own, independent
reading of the same CSV, which graded tests compare the warehouse against.

`NPS_DASHBOARD` is the spreadsheet the SQL → Sheet DAG publishes the lab 2 summary to.
"""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.services.gsheets import GoogleSheets

FIXTURE = Path(__file__).parent / "fixtures" / "channel_budget.csv"
SPREADSHEET = "Marketing plan 2019"
TAB = "channel_budget"
HEADER = ("month", "channel", "budget", "spend", "conversion_rate")
NPS_DASHBOARD = "NPS dashboard"
NPS_TAB = "nps_monthly"


def sheet_rows(path: Path = FIXTURE) -> list[list[str]]:
    """The tab's cells as strings, header first, exactly as gspread's get_all_values() returns them."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _number(cell: str) -> Decimal:
    text = cell.strip().replace("$", "").replace(",", "")
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100
    return Decimal(text)


def expected_rows(rows: list[list[str]] | None = None) -> list[tuple[date, str, Decimal, Decimal, Decimal]]:
    """(month, channel, budget, spend, conversion_rate) as the warehouse table must hold them."""
    rows = sheet_rows() if rows is None else rows
    out = []
    for month, channel, budget, spend, rate in rows[1:]:
        year, mon = month.strip().split("-")
        out.append((date(int(year), int(mon), 1), channel.strip(), _number(budget), _number(spend), _number(rate)))
    return out


def seed(sheets: GoogleSheets, rows: list[list[str]] | None = None) -> str:
    """Put the course spreadsheet into a fake Google Sheets (`labkit.services.gsheets`); returns its id."""
    rows = sheet_rows() if rows is None else rows
    key = sheets.create(SPREADSHEET, {TAB: rows})
    sheets.create(NPS_DASHBOARD, {NPS_TAB: [["month", "nps"], ["(not published yet)", ""]]})
    return key

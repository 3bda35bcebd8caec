"""What lab 3's tests share: the probe DAG's facts, and reading the fakes back."""
from __future__ import annotations

import pendulum

# The probe DAG (probe_dag.py): one task failing with a known error.
PROBE_DAG_ID = "lab3_alert_probe"
PROBE_TASK_ID = "load_budget"
PROBE_ERROR = "row 7, column spend: '12k' is not a number"
PROBE_LOGICAL_DATE = pendulum.datetime(2026, 3, 14, 7, 0, tz="UTC")


def set_tab(sheets, spreadsheet: str, tab: str, rows: list[list]) -> None:
    """Replace what a tab of the fake Google Sheets holds, as a person editing it would."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    sheets.load_csv(spreadsheet, tab, out.getvalue())


def plain_sheet_rows() -> list[list[str]]:
    """The course sheet with every number typed plainly (2000, 2020.00, 0.0532): for tests about rows and
    columns, so that a cleaning mistake ($, ',' or %) is the cleaning test's finding, not theirs."""
    from labkit.data import budget

    return [list(budget.HEADER)] + [
        [f"{month:%Y-%m}", channel, str(spent), str(spend), str(rate)] for month, channel, spent, spend, rate in budget.expected_rows()
    ]

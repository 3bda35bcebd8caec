"""Lab 3 fixtures: your four files, the fakes they talk to, and a warehouse with lab 2's summary."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("probe_dag.py")


@pytest.fixture(scope="session")
def alerts(load_lab):
    """Your common/alerts.py (or the reference's with --target reference)."""
    return load_lab("common/alerts.py")


@pytest.fixture(scope="session")
def sheets_lib(load_lab):
    """Your common/sheets.py."""
    return load_lab("common/sheets.py")


@pytest.fixture(scope="session")
def to_warehouse(load_lab, alerts, sheets_lib):
    """Your lab3_sheet_to_warehouse.py."""
    return load_lab("lab3_sheet_to_warehouse.py")


@pytest.fixture(scope="session")
def to_sheet(load_lab, alerts, sheets_lib):
    """Your lab3_sql_to_sheet.py."""
    return load_lab("lab3_sql_to_sheet.py")


@pytest.fixture(scope="session")
def probe_dag(alerts, airflow_home):
    """The one-task failing DAG, linked into the DAGs folder so dag.test() finds it."""
    from labkit.grading.checks import check
    from labkit.grading.fixtures import dags_in_file

    link = airflow_home.dags_folder / PROBE.name
    if not link.exists():
        link.symlink_to(PROBE)
    dags, errors = dags_in_file(PROBE)
    check(not errors, "the alert test DAG cannot import your common/alerts.py:\n" + "\n".join(errors.values()))
    return next(iter(dags.values()))


@pytest.fixture(scope="session")
def warehouse_template(pg_server):
    """A database holding lab 2's analytics.nps_summary_monthly (12 months of 2019)."""
    from labkit.data import nps
    from labkit.grading import templates

    # Named after this file too: a changed _load_summary gets a new template on a warm server.
    return templates.shared(pg_server, f"lab3_sources_{templates.fingerprint(nps, sys.modules[__name__])}", _load_summary)


def _load_summary(conn):
    from labkit.data import nps

    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA analytics")
        cur.execute("CREATE TABLE analytics.nps_summary_monthly (month date PRIMARY KEY, responses bigint, nps numeric(5, 2))")
        cur.executemany(
            "INSERT INTO analytics.nps_summary_monthly VALUES (make_date(2019, %s, 1), %s, %s)",
            [(m, 12000 + 37 * m, value) for m, value in enumerate(nps.MONTHLY_NPS_2019, start=1)],
        )

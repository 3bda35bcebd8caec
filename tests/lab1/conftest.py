"""Lab 1 fixtures: the code under test and helpers to load forecast runs."""
from __future__ import annotations

import pytest

from tests.lab1.helpers import TABLE

FILE = "lab1_dedupe_upsert.py"


# The Variables a deployment of this DAG has. A file that reads them at its top level then
# still imports, as it would in production: that mistake costs the test that looks for it
# (and whatever reads the stale value), not every test of the lab.
DEPLOYED_VARIABLES = {"AIRFLOW_VAR_WEATHER_API_URL": "http://127.0.0.1:9/the-variable-read-at-import",
                      "AIRFLOW_VAR_WEATHER_API_KEY": "the-variable-read-at-import"}


@pytest.fixture(scope="session")
def lab(load_lab):
    """The student's lab1_dedupe_upsert.py (or the reference with --target reference)."""
    mp = pytest.MonkeyPatch()
    for name, value in DEPLOYED_VARIABLES.items():
        mp.setenv(name, value)
    try:
        return load_lab(FILE)
    finally:
        mp.undo()


@pytest.fixture
def load(lab, warehouse):
    """load(rows) -> runs the lab's upsert_dedupe on a fresh connection, like one DAG run."""

    def run(rows, table=TABLE, func="upsert_dedupe"):
        conn = warehouse.connect()
        try:
            return getattr(lab, func)(conn, rows, table=table)
        finally:
            conn.close()

    return run

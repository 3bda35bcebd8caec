"""Lab 1 fixtures: the code under test and helpers to load forecast runs."""
from __future__ import annotations

import pytest

from tests.lab1.helpers import TABLE

LAB = "lab1"
FILE = "lab1_dedupe_upsert.py"


@pytest.fixture(scope="session")
def lab(load_lab):
    """The student's lab1_dedupe_upsert.py (or the reference with --target reference)."""
    return load_lab(LAB, FILE)


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

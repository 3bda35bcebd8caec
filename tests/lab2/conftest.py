"""Lab 2 fixtures: the code under test, and the course's data loaded once per session."""
from __future__ import annotations

import os

import psycopg2
import pytest

FILE = "lab2_nps_summary.py"


@pytest.fixture(scope="session")
def lab(load_lab):
    """The student's lab2_nps_summary.py (or the reference with --target reference)."""
    return load_lab(FILE)


@pytest.fixture(scope="session")
def source_rows():
    """The rows loaded into every test's warehouse, for computing expected values independently."""
    from labkit.data import nps, sessions

    return {"nps": nps.generate_nps(), "sessions": sessions.generate_sessions()}


@pytest.fixture(scope="session")
def warehouse_template(pg_server):
    """A database holding nps, user_session_channel and session_timestamp; each test copies it."""
    from labkit.data import nps, sessions

    name = f"lab2_source_{os.getpid()}"
    pg_server.create_database(name, replace=True)
    conn = psycopg2.connect(pg_server.dsn(name))
    try:
        nps.load_nps(conn)
        sessions.load_sessions(conn)
    finally:
        conn.close()
    return name

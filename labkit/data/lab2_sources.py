"""Lab 2's source tables in a warehouse that keeps them (the class demo, the compose stack).

Tests load them into a fresh database per session (tests/lab2/conftest.py); a warehouse that
outlives its runs gets them once: `ensure` loads only what is missing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from labkit.data import nps, sessions

if TYPE_CHECKING:
    from psycopg2.extensions import connection

TABLES = ("nps", "session_timestamp", "user_session_channel")


def missing(conn: connection) -> list[str]:
    """The source tables `conn`'s database lacks (in `public`)."""
    with conn.cursor() as cur:
        cur.execute("SELECT t FROM unnest(%s::text[]) AS t WHERE to_regclass('public.' || t) IS NULL", (list(TABLES),))
        found = [row[0] for row in cur.fetchall()]
    conn.rollback()
    return found


def ensure(conn: connection) -> bool:
    """Load lab 2's sources unless they are all there; True when it loaded them."""
    gone = missing(conn)
    if not gone:
        return False
    if "nps" in gone:
        nps.load_nps(conn)
    if {"session_timestamp", "user_session_channel"} & set(gone):
        sessions.load_sessions(conn)
    return True

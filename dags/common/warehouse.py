"""The warehouse as a psycopg2 connection, from the Airflow connection `warehouse`.

`PostgresHook.get_conn()` would return a psycopg 3 connection here (the provider installs
psycopg 3); the labs teach `psycopg2.sql`, so the hook only reads the connection.
"""
from __future__ import annotations

import psycopg2

from airflow.providers.postgres.hooks.postgres import PostgresHook

WAREHOUSE_CONN_ID = "warehouse"


def warehouse_connection(conn_id: str = WAREHOUSE_CONN_ID):
    """A new psycopg2 connection; close it (or use `contextlib.closing`) when done."""
    conn = PostgresHook.get_connection(conn_id)
    return psycopg2.connect(
        host=conn.host, port=conn.port or 5432, user=conn.login, password=conn.password, dbname=conn.schema, connect_timeout=10
    )

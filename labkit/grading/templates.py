"""Databases a lab's tests start from: built once per PostgreSQL server, then only copied.

Every test gets a fresh warehouse that is a copy of its lab's template (`warehouse` in
fixtures.py). Lab 2's template holds 250,000 generated rows (51 MB): generating and loading
them took 2.7 s of every grading run. Built once per server, under a name that carries a
fingerprint of the code that builds it, the template is found by every later run on the
same server (the one `make lab` keeps warm); changed code gets a new name, so a stale
template is never copied. A server owned by one run is deleted with everything on it.

A finished template accepts no connections (ALLOW_CONNECTIONS false): a test's code reaches
its own copy, never the template, and CREATE DATABASE … TEMPLATE never finds someone
connected to it. It is built under a temporary name and renamed when complete, under an
advisory lock: a build that is killed leaves nothing that looks finished (the next builder
drops its remains), and two runs that start at once build it once.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from psycopg2 import sql

if TYPE_CHECKING:
    from psycopg2.extensions import connection

    from labkit.services.postgres import PostgresServer

log = logging.getLogger(__name__)
BUILDING = "__building"


def fingerprint(*modules: ModuleType) -> str:
    """12 hex digits that change whenever the source of one of these modules does."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:12]


def ready(server: PostgresServer, name: str) -> bool:
    """True when `name` is a finished template on this server."""
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT NOT datallowconn FROM pg_database WHERE datname = %s", (name,))
        row = cur.fetchone()
    conn.close()
    return bool(row and row[0])


def shared(server: PostgresServer, name: str, build: Callable[[connection], object]) -> str:
    """The finished template `name` on `server`, built by `build(conn)` if it is not there yet.

    `name` should end with a `fingerprint()` of what `build` runs. Returns `name`.
    """
    if ready(server, name):
        return name
    admin = server.connect()
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            # Held until this session ends: a killed builder releases it with its connection.
            cur.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
            if ready(server, name):  # another run built it while we waited
                return name
            scratch = name + BUILDING
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
            conn = server.connect(scratch)
            try:
                build(conn)
                conn.commit()
            finally:
                conn.close()
            cur.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(scratch)))
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(scratch), sql.Identifier(name)))
            log.info("built the template database %s", name)
            cur.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
    finally:
        admin.close()
    return name

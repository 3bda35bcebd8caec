"""Restore the newest backup into a fresh database and prove it equals its source.

A backup nobody has restored is a hope, not a backup. The restore drill downloads the
newest dump, refuses it unless its SHA-256 matches the one recorded at upload, restores it
into a database created for the purpose, and compares every table (row count and
checksum) with the manifest recorded in the same snapshot as the dump. (Comparing with
the live metadata DB would always differ: Airflow writes to it all the time, the drill too.)
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from psycopg2 import sql

from backups.pg import Database, fingerprints, restore
from backups.store import PREFIX, download_verified, newest


def recreate_database(server: Database, name: str) -> Database:
    """An empty database `name` on `server` (dropped first if it exists). Never the source."""
    if name == server.name:
        raise ValueError(f"refusing to drop {name!r}: it is the database being backed up")
    conn = server.with_name("postgres").connect()
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return server.with_name(name)


def restore_newest(s3, bucket: str, target: Database, prefix: str = PREFIX) -> dict:
    """Download, verify and restore the newest backup into `target` (an empty database)."""
    key = newest(s3, bucket, prefix)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="airflow-restore-") as folder:
        path = Path(folder) / key.rsplit("/", 1)[-1]
        checksum = download_verified(s3, bucket, key, path)
        size = path.stat().st_size
        restore(path, target)
    return {"key": key, "sha256": checksum, "bytes": size, "seconds": round(time.monotonic() - started, 2)}


def differences(want: dict[str, tuple[int, str]], copy: Database) -> list[str]:
    """What differs between the fingerprints a backup recorded and a restored copy (empty: identical)."""
    got = {table: tuple(value) for table, value in fingerprints(copy).items()}
    want = {table: tuple(value) for table, value in want.items()}
    out = []
    for table in sorted(set(want) | set(got)):
        if table not in got:
            out.append(f"{table}: missing from the restored copy")
        elif table not in want:
            out.append(f"{table}: only in the restored copy")
        elif want[table] != got[table]:
            out.append(f"{table}: {want[table][0]} rows in the backup, {got[table][0]} in the copy"
                       + ("" if want[table][0] != got[table][0] else " (same count, different contents)"))
    return out

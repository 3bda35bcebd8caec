"""pg_dump and pg_restore, run so that a failure is a failure, plus checksums to prove a restore.

The course's backup DAG ran `pg_dump` through a shell and never looked at its exit code:
a dump that failed halfway uploaded a truncated file and reported success. Here every
tool's exit code is checked, its error is kept (one line, never a password), and the
dump is compared with its source by row counts and per-table checksums.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from psycopg2 import sql

CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or restore step failed; the message says which and why."""


@dataclass(frozen=True)
class Database:
    """Where a database is: what pg_dump, pg_restore and psycopg2 need."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @classmethod
    def from_connection(cls, conn) -> Database:
        """From an Airflow Connection (postgres://user:password@host:port/dbname)."""
        return cls(conn.host or "127.0.0.1", int(conn.port or 5432), conn.login or "", conn.password or "", conn.schema or "")

    def with_name(self, name: str) -> Database:
        return Database(self.host, self.port, self.user, self.password, name)

    def connect(self):
        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                dbname=self.name, connect_timeout=10)

    def tool_args(self) -> list[str]:
        return ["--host", self.host, "--port", str(self.port), "--username", self.user, "--no-password"]

    def tool_env(self) -> dict[str, str]:
        # The password travels in the environment of the child only, never on its command line.
        return {**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}


def pg_tool(name: str) -> str:
    """`pg_dump` / `pg_restore` of the server's major version: from PG_BIN_DIR when it is set
    (the kit's embedded PostgreSQL 16), else from PATH. A pg_dump older than the server
    refuses to run ("server version mismatch")."""
    folder = os.environ.get("PG_BIN_DIR")
    if folder:
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools, or set PG_BIN_DIR")
    return found


def _run(args: list[str], db: Database, what: str, timeout: float) -> None:
    try:
        done = subprocess.run(args, env=db.tool_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{what} failed (exit code {done.returncode}): {lines[-1] if lines else 'no message'}")


@contextmanager
def snapshot(db: Database) -> Iterator[tuple[str, dict[str, tuple[int, str]]]]:
    """A frozen view of `db` while the block runs: its id, for `pg_dump --snapshot`, and the
    fingerprints of every table as of that view. The dump and the fingerprints then describe
    the same moment, however busy Airflow is meanwhile; a restore must match them exactly."""
    conn = db.connect()
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
        yield snapshot_id, _fingerprints(conn)
    finally:
        conn.rollback()
        conn.close()


def dump(db: Database, path: Path, *, snapshot: str | None = None, timeout: float = 3600) -> int:
    """pg_dump `db` in custom format (compressed, restorable table by table) to `path`, as of
    `snapshot` when given; returns its size. Raises BackupError when pg_dump fails or writes nothing."""
    # BEGIN SOLUTION: run pg_tool("pg_dump") with --format=custom, --file=path (and --snapshot=<id> when snapshot is given), db.tool_args() and db.name through _run (it checks the exit code); then refuse a missing or empty file (BackupError) and return its size
    frozen = [f"--snapshot={snapshot}"] if snapshot else []
    _run([pg_tool("pg_dump"), "--format=custom", f"--file={path}", *frozen, *db.tool_args(), db.name], db, "pg_dump", timeout)
    if not path.exists() or path.stat().st_size == 0:
        raise BackupError(f"pg_dump exited 0 but wrote nothing to {path.name}")
    return path.stat().st_size
    # END SOLUTION


def restore(path: Path, db: Database, timeout: float = 3600) -> None:
    """pg_restore `path` into the (empty) database `db`; stops at the first error."""
    _run([pg_tool("pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={db.name}",
          *db.tool_args(), str(path)], db, "pg_restore", timeout)


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read in 1 MB chunks (a dump can be larger than memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprints(db: Database, schema: str = "public") -> dict[str, tuple[int, str]]:
    """table -> (row count, md5 of its rows in a stable order): equal fingerprints mean equal tables."""
    conn = db.connect()
    try:
        return _fingerprints(conn, schema)
    finally:
        conn.close()


def _fingerprints(conn, schema: str = "public") -> dict[str, tuple[int, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_type = 'BASE TABLE' ORDER BY table_name", (schema,))
        tables = [name for (name,) in cur.fetchall()]
        out = {}
        for table in tables:
            cur.execute(sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                                "FROM {} AS t").format(sql.Identifier(schema, table)))
            rows, checksum = cur.fetchone()
            out[table] = (rows, checksum)
        return out

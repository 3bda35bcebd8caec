"""Variables and Connections out of the metadata DB and back, treated as the secrets they are.

Airflow encrypts Connection passwords and extras (and Variable values) with its Fernet key
before they reach the metadata DB. Two consequences the course's notes skip:

- a database backup without the Fernet key is a backup without any password in it
  (`decrypt` with another key raises InvalidToken): keep the key, separately;
- an export (`airflow variables export`, or this module) holds every secret in clear:
  write it readable by its owner only (mode 600), never print it, never commit it.

Only what is defined in the metadata DB is here: Variables and Connections defined as
environment variables (`AIRFLOW_VAR_…`, `AIRFLOW_CONN_…`) or in a secrets backend are not.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from backups.pg import BackupError, Database

PRIVATE = 0o600


def fernet(key: str) -> MultiFernet:
    """Airflow's `[core] fernet_key`: one key, or several separated by commas (rotation)."""
    keys = [part.strip() for part in key.split(",") if part.strip()]
    if not keys:
        raise BackupError("no Fernet key: set AIRFLOW__CORE__FERNET_KEY (the one the metadata DB was written with)")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def decrypt(value: str | None, encrypted: bool, key: str) -> str | None:
    """A stored value in clear; InvalidToken when `key` is not the key it was written with."""
    if value is None or not encrypted:
        return value
    return fernet(key).decrypt(value.encode()).decode()


def read_secrets(db: Database, key: str) -> dict[str, Any]:
    """{"variables": {key: value}, "connections": {conn_id: {...}}} from the metadata DB, in clear."""
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT key, val, is_encrypted, description FROM variable ORDER BY key")
            variables = {k: decrypt(v, enc, key) for k, v, enc, _ in cur.fetchall()}
            cur.execute("SELECT conn_id, conn_type, description, host, schema, login, password, port, extra, "
                        "is_encrypted, is_extra_encrypted FROM connection ORDER BY conn_id")
            connections = {}
            for (conn_id, conn_type, description, host, schema, login, password, port, extra,
                 enc, extra_enc) in cur.fetchall():
                connections[conn_id] = {
                    "conn_type": conn_type, "description": description, "host": host, "schema": schema,
                    "login": login, "password": decrypt(password, enc, key), "port": port,
                    "extra": decrypt(extra, extra_enc, key),
                }
        return {"variables": variables, "connections": connections}
    finally:
        conn.close()


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only, from the first byte on.

    (Writing first and chmod-ing after leaves a moment in which anyone may read it; and a
    crash halfway must not leave half a file under the final name.)
    """
    # BEGIN SOLUTION: os.open a temporary name beside `path` with os.O_WRONLY | os.O_CREAT | os.O_EXCL and mode PRIVATE, write the text, fsync, then os.replace it onto `path` (remove the temporary file if anything fails)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # END SOLUTION


def export_secrets(db: Database, key: str, path: Path) -> dict[str, int]:
    """Export every DB-defined Variable and Connection to a private JSON file; returns counts only
    (what a task may log)."""
    secrets = read_secrets(db, key)
    write_private(path, json.dumps(secrets, indent=2, sort_keys=True))
    return {"variables": len(secrets["variables"]), "connections": len(secrets["connections"])}


def import_secrets(path: Path, db: Database, key: str) -> dict[str, int]:
    """Load an export into a metadata DB, encrypted with `key` (existing ids are replaced)."""
    secrets = json.loads(path.read_text(encoding="utf-8"))
    box = fernet(key)

    def seal(value: str | None) -> tuple[str | None, bool]:
        return (None, False) if value is None else (box.encrypt(value.encode()).decode(), True)

    conn = db.connect()
    try:
        with conn, conn.cursor() as cur:
            for name, value in secrets["variables"].items():
                val, enc = seal(value)
                cur.execute("DELETE FROM variable WHERE key = %s", (name,))
                cur.execute("INSERT INTO variable (key, val, is_encrypted) VALUES (%s, %s, %s)", (name, val, enc))
            for conn_id, c in secrets["connections"].items():
                password, enc = seal(c.get("password"))
                extra, extra_enc = seal(c.get("extra"))
                cur.execute("DELETE FROM connection WHERE conn_id = %s", (conn_id,))
                cur.execute(
                    "INSERT INTO connection (conn_id, conn_type, description, host, schema, login, password, port, "
                    "extra, is_encrypted, is_extra_encrypted) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (conn_id, c["conn_type"], c.get("description"), c.get("host"), c.get("schema"), c.get("login"),
                     password, c.get("port"), extra, enc, extra_enc),
                )
        return {"variables": len(secrets["variables"]), "connections": len(secrets["connections"])}
    finally:
        conn.close()


__all__ = ["InvalidToken", "decrypt", "export_secrets", "fernet", "import_secrets", "read_secrets", "write_private"]

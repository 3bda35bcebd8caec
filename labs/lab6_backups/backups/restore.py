# Generated from dags/backups/restore.py by `labkit release`: edit the parts marked TODO.
"""Restore the newest backup onto a database, all or nothing, and only a backup that proves its origin.

A backup nobody has restored is a hope, not a backup. And a restore that fails halfway
must not take the database down with it: pg_restore runs statement by statement, so a
dump truncated after its tenth table leaves ten tables restored and the rest missing, in
whatever database it was pointed at. So a restore here

1. reads the backup's manifest and refuses it unless its signature verifies with the
   signing key (kept apart from the bucket: see backups.store), and unless it was signed
   for this very backup;
2. downloads the dump and refuses it unless its SHA-256 is the one the *signed* manifest
   records (the object's own `x-amz-meta-sha256` is unsigned: it catches accidents, not
   tampering). A dump is SQL that pg_restore runs as the restoring role: nothing
   unauthenticated gets that far;
3. restores it into a scratch database beside the target, and compares every table (row
   count and checksum) with the manifest recorded in the same snapshot as the dump;
4. only then puts the scratch database in the target's place: two renames in one
   transaction, so the target is either wholly the old database or wholly the restored one.
   On any failure the scratch database is dropped and the target is exactly as it was.

(Comparing with the live metadata DB instead of the manifest would always differ: Airflow
writes to it all the time, the drill too.)
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import psycopg2
from psycopg2 import sql

from backups.pg import BackupError, Database, fingerprints, restore, sha256_file
from backups.store import PREFIX, download_verified, newest, read_manifest


def beside(name: str, role: str) -> str:
    """The name of a database next to `name` for one role ("restoring", "replaced"), within
    PostgreSQL's 63-byte limit on names."""
    return f"{name[:62 - len(role)]}_{role}"


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


def drop_database(server: Database, name: str) -> None:
    """Drop the database `name` on `server` if it exists (never `server`'s own)."""
    if name == server.name:
        raise ValueError(f"refusing to drop {name!r}: it is the database this call was given")
    conn = server.with_name("postgres").connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def swap_in(scratch: Database, target: Database) -> None:
    """Put the database `scratch` in `target`'s place, then drop what was there.

    PostgreSQL's catalog is transactional: both ALTER DATABASE … RENAME run in one
    transaction, so either both happen or neither does, and no moment exists in which
    `target` is missing or half restored. (CREATE and DROP DATABASE cannot run in a
    transaction, so the replaced database is dropped after the commit.) A database with
    sessions open cannot be renamed: stop Airflow's scheduler, API server, DAG processor,
    triggerer and workers before restoring their metadata DB — the swap refuses, and changes
    nothing, while any of them is connected.
    """
    replaced = beside(target.name, "replaced")
    drop_database(target, replaced)  # a leftover of an earlier swap whose last step failed
    conn = target.with_name("postgres").connect()
    try:
        with conn, conn.cursor() as cur:  # one transaction: both renames, or neither
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.name,))
            if cur.fetchone() is not None:
                cur.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(target.name), sql.Identifier(replaced)))
            cur.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(scratch.name), sql.Identifier(target.name)))
    except psycopg2.errors.ObjectInUse as error:
        raise BackupError(f"cannot replace {target.name}: {str(error).splitlines()[0]} (stop every Airflow component "
                          "using it first); it was left as it was") from None
    finally:
        conn.close()
    try:
        drop_database(target, replaced)
    except psycopg2.Error as error:  # the restore itself is done: say so, and what is left over
        print(f"{target.name} was restored; dropping the database it replaced ({replaced}) failed: "
              f"{str(error).splitlines()[0]} — drop it by hand (the next restore drops it too)")


def restore_all_or_nothing(path: Path, target: Database, tables: dict[str, tuple[int, str]]) -> None:
    """pg_restore the dump at `path` into a scratch database beside `target` (`beside(target.name,
    "restoring")`), prove it holds exactly `tables` (the manifest's fingerprints), and only then
    swap it in. On any failure, `target` is left exactly as it was and the scratch database is gone."""
    # TODO: make an empty scratch database named beside the target (recreate_database with beside(…, "restoring")); then, in a try: restore the dump into the scratch, raise BackupError listing differences(tables, scratch) when there are any, and only then swap_in the scratch for the target; on any exception (except BaseException) drop the scratch and re-raise. Never pg_restore into the target itself: a restore that fails halfway would leave it half restored
    raise NotImplementedError('TODO: make an empty scratch database named beside the target (recreate_database with beside(…, "restoring")); then, in a try: restore the dump into the scratch, raise BackupError listing differences(tables, scratch) when there are any, and only then swap_in the scratch for the target; on any exception (except BaseException) drop the scratch and re-raise. Never pg_restore into the target itself: a restore that fails halfway would leave it half restored')


def restore_newest(s3, bucket: str, target: Database, secret: str | None = None, prefix: str = PREFIX) -> dict:
    """Replace `target` with the newest backup, all or nothing, once its signed manifest vouches
    for it (`secret`: the key the manifests are signed with; without it nothing is restored)."""
    key = newest(s3, bucket, prefix)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="airflow-restore-") as folder:
        path = Path(folder) / key.rsplit("/", 1)[-1]
        # TODO: read the manifest with read_manifest (it refuses one whose signature does not verify with `secret`); download the dump with download_verified; raise BackupError naming the key unless the file's SHA-256 is the one the signed manifest records (the object's x-amz-meta-sha256 is unsigned: whoever replaced the dump rewrote it too); then restore_all_or_nothing with the manifest's tables
        raise NotImplementedError("TODO: read the manifest with read_manifest (it refuses one whose signature does not verify with `secret`); download the dump with download_verified; raise BackupError naming the key unless the file's SHA-256 is the one the signed manifest records (the object's x-amz-meta-sha256 is unsigned: whoever replaced the dump rewrote it too); then restore_all_or_nothing with the manifest's tables")
        size = path.stat().st_size
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

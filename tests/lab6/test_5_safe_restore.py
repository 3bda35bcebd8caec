"""Lab 6 · a restore that is all or nothing, of a backup that proves where it came from.

The target of every restore here is the metadata DB itself, as in a real recovery, with rows
written since the backup (what a restore rolls back). Backups and manifests are written with
the kit's own code (its own pg_dump, its own HMAC), so each test judges one property of
yours: the signature you write, the signature you check, the scratch database you restore
into and swap in.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import psycopg2
import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.services import airflow_metadata
from tests.lab6.helpers import (
    BUCKET,
    PREFIX,
    SIGNATURE,
    canonical,
    database_names,
    fingerprints,
    first_line,
    kit_signature,
    left_behind,
    manifest_key,
    not_written,
    objects,
    pg_restore_calls,
    put_backup,
    put_manifest,
    read_json,
    recording_pg_restore,
    restored_into,
)

KEY = f"{PREFIX}/metadata-20260321T000000.dump"
OLDER = f"{PREFIX}/metadata-20260320T000000.dump"
SCRATCH_HINT = ("pg_restore into a scratch database beside the target (recreate_database(target, beside(target.name, "
                "'restoring'))), compare it with the manifest, and only then swap_in(scratch, target)")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows(server, name: str) -> dict[str, tuple] | None:
    """Every table's (rows, md5) in database `name`, with the kit's own query; None when there is no such database."""
    try:
        conn = psycopg2.connect(server.dsn(name))
    except psycopg2.OperationalError:
        return None
    try:
        return {table: tuple(value) for table, value in fingerprints(conn).items()}
    finally:
        conn.close()


def _backup(metadata_db, tmp_path: Path, name: str = "backup.dump") -> tuple[bytes, dict[str, tuple]]:
    """A dump of the metadata DB (the kit's pg_dump) and the fingerprints it holds."""
    tables = _rows(metadata_db.server, metadata_db.name)
    path = tmp_path / name
    airflow_metadata.dump(metadata_db, path)
    return path.read_bytes(), tables


def _write(metadata_db, *events: str) -> None:
    """Audit-log rows written to the metadata DB (after a backup: what a restore of it rolls back)."""
    conn = psycopg2.connect(metadata_db.dsn)
    try:
        with conn, conn.cursor() as cur:
            for event in events:
                cur.execute("INSERT INTO log (dttm, event, owner) VALUES (now(), %s, 'lab6-test')", (event,))
    finally:
        conn.close()


def _changes(before: dict, after: dict | None) -> str:
    if after is None:
        return "the database is gone"
    changed = [t for t in sorted(set(before) | set(after)) if before.get(t) != after.get(t)]
    shown = ", ".join(f"{t} ({before[t][0] if t in before else 'missing'} rows → {after[t][0] if t in after else 'missing'})"
                      for t in changed[:6])
    return shown + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")


def _restore(restore, s3, target, secret):
    return finishes_within(60, lambda: restore.restore_newest(s3, BUCKET, target, secret), "restore_newest()")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_the_manifest_is_signed_with_a_key_kept_apart(store, s3, signing_key):
    """write_manifest signs the manifest: its hmac_sha256 is the HMAC-SHA256 of the manifest under the key, not a checksum anyone could recompute, and the key itself is nowhere in the bucket"""
    tables = {"log": (25, "ab" * 16), "variable": (4, "cd" * 16)}
    outcome = finishes_within(20, lambda: store.write_manifest(s3, BUCKET, KEY, tables, "e" * 64, signing_key),
                              "write_manifest()")
    not_written(outcome.error)
    check(outcome.error is None, f"write_manifest raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    manifest = read_json(s3, manifest_key(KEY))
    check(isinstance(manifest, dict), f"write_manifest wrote no manifest at {manifest_key(KEY)}")
    signature = manifest.get(SIGNATURE)
    check(isinstance(signature, str) and bool(signature), f"the manifest carries no {SIGNATURE} (its fields: "
          f"{sorted(manifest)})", "return the hex HMAC from manifest_signature: write_manifest stores it")
    check(signature != _sha(canonical(manifest)),
          "the manifest's signature is a plain SHA-256 of the manifest: a checksum, which whoever rewrites the manifest "
          "recomputes", "hmac.new(secret.encode(), canonical(manifest), hashlib.sha256).hexdigest(): only the key's "
          "holder can make it")
    check_equal(signature, kit_signature(manifest, signing_key),
                f"the manifest's {SIGNATURE} (the HMAC-SHA256 of canonical(manifest) under the signing key, in hex)",
                "hmac.new(secret.encode(), canonical(manifest), hashlib.sha256).hexdigest()")
    leaked = [key for key, found in objects(s3).items() if signing_key in str(found["metadata"])]
    leaked += [key for key in objects(s3) if signing_key.encode() in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()]
    check(not leaked, f"the signing key is in the bucket ({sorted(set(leaked))}): whoever can rewrite a backup can then sign it",
          "the key stays in the Variable backup_manifest_secret: only the signature goes to the bucket")


def _attackers_signature(store, manifest: dict) -> str:
    """What someone without the key signs with: your own manifest_signature, and a key of their own."""
    try:
        return store.manifest_signature(manifest, "the attacker's own key")
    except Exception:  # not written yet: the kit's HMAC with that key
        return kit_signature(manifest, "the attacker's own key")


class _Attempts:
    """restore_newest of whatever is in the bucket now, onto the metadata DB, with pg_restore recorded."""

    def __init__(self, pg, restore, s3, metadata_db, database, secret, tmp_path, monkeypatch):
        self.pg, self.restore, self.s3, self.server, self.target, self.secret = pg, restore, s3, metadata_db.server, database, secret
        folder, self.log = recording_pg_restore(tmp_path / "bin")
        monkeypatch.setenv("PG_BIN_DIR", str(folder))
        self.before = _rows(self.server, database.name)

    def refused(self, case: str, why: str, hint: str) -> None:
        """Refused before pg_restore sees the dump, by a BackupError that says `why` (a regular
        expression); the target left as it was."""
        self.log.unlink(missing_ok=True)
        outcome = _restore(self.restore, self.s3, self.target, self.secret)
        not_written(outcome.error)
        calls = pg_restore_calls(self.log)
        if calls:
            fail(f"{case}: pg_restore ran on it (into {restored_into(calls[0])})"
                 + (f", then restore_newest raised: {first_line(outcome.error)}" if outcome.error else "")
                 + ". A dump is SQL run as the restoring role: nothing unauthenticated may reach pg_restore", hint)
        check(isinstance(outcome.error, self.pg.BackupError),
              f"{case}: expected BackupError, got {type(outcome.error).__name__ if outcome.error else 'no error'}"
              + (f": {first_line(outcome.error)}" if outcome.error else ""), hint)
        check(re.search(why, str(outcome.error), re.I) is not None,
              f"{case}: refused, but the error does not say why: {first_line(outcome.error)}", hint)
        after = _rows(self.server, self.target.name)
        check(after == self.before, f"{case}: the target changed: {_changes(self.before, after)}")


@pytest.mark.points(2)
@pytest.mark.timeout(150)  # its own waits (finishes_within) add up to 4 × 60 s at worst; refusals take a second
def test_a_backup_rewritten_without_the_key_is_refused(pg, store, restore, s3, metadata_db, database, signing_key,
                                                       tmp_path, monkeypatch):
    """Dump, checksums and manifest rewritten by someone without the key (its old signature kept, one made with another key, or none): restore_newest refuses each (BackupError about the signature) before pg_restore sees the dump; the target is unchanged"""
    good, tables = _backup(metadata_db, tmp_path)
    conn = psycopg2.connect(metadata_db.dsn)  # the attacker's version: the warehouse connection points elsewhere
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE connection SET host = 'collector.attacker.example' WHERE conn_id = 'warehouse'")
        theirs, their_tables = _backup(metadata_db, tmp_path, "theirs.dump")
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE connection SET host = 'warehouse.internal' WHERE conn_id = 'warehouse'")
    finally:
        conn.close()
    legit = put_manifest(s3, KEY, _sha(good), tables, signing_key)
    _write(metadata_db, "written after the backup")
    attempts = _Attempts(pg, restore, s3, metadata_db, database, signing_key, tmp_path, monkeypatch)
    hint = ("verify the manifest before anything else: read_manifest refuses it unless hmac.compare_digest(its "
            "hmac_sha256, manifest_signature(manifest, secret)); a checksum anyone can recompute proves nothing")

    truncated = good[:-512]
    put_backup(s3, KEY, truncated)
    put_manifest(s3, KEY, _sha(truncated), tables, None, signature=legit[SIGNATURE])
    attempts.refused("a truncated copy, its SHA-256 recomputed in the object's metadata and in the manifest, the "
                     "manifest not re-signed (it cannot be, without the key)", "sign", hint)

    put_backup(s3, KEY, theirs)
    put_manifest(s3, KEY, _sha(theirs), their_tables, None, signature=legit[SIGNATURE])
    attempts.refused("another dump, its checksums and manifest rewritten to match, the old signature kept", "sign", hint)

    forged = {"backup": KEY, "sha256": _sha(theirs), "tables": {t: list(v) for t, v in their_tables.items()}}
    put_manifest(s3, KEY, _sha(theirs), their_tables, None, signature=_attackers_signature(store, forged))
    attempts.refused("another dump, its manifest re-signed with a key of the attacker's own (through your "
                     "manifest_signature)", "sign", "the signature must depend on the key: hmac.new(secret.encode(), "
                     "canonical(manifest), hashlib.sha256), compared with hmac.compare_digest")

    put_manifest(s3, KEY, _sha(theirs), their_tables, None)
    attempts.refused("another dump, its manifest rewritten without a signature", "sign",
                     "a manifest without hmac_sha256 is refused: only what the key signed is trusted")


@pytest.mark.points(1)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 2 × 60 s at worst; refusals take a second
def test_a_dump_that_is_not_the_one_its_signed_manifest_records_is_refused(pg, restore, s3, metadata_db, database,
                                                                          signing_key, tmp_path, monkeypatch):
    """The dump replaced along with its unsigned x-amz-meta-sha256 (the signed manifest left as it was), or an older backup and its signed manifest copied under the newest name: both refused before pg_restore sees the dump"""
    good, tables = _backup(metadata_db, tmp_path)
    _write(metadata_db, "a later day")
    later, _ = _backup(metadata_db, tmp_path, "later.dump")
    attempts = _Attempts(pg, restore, s3, metadata_db, database, signing_key, tmp_path, monkeypatch)

    put_backup(s3, KEY, later)  # the object and its metadata rewritten; its signed manifest records another dump
    put_manifest(s3, KEY, _sha(good), tables, signing_key)
    attempts.refused("a dump replaced together with its x-amz-meta-sha256, its signed manifest left as it was", "manifest",
                     "compare the download's SHA-256 with manifest['sha256'] (the signed one), not only with the "
                     "object's metadata, which whoever replaced the dump rewrote too")

    put_manifest(s3, OLDER, _sha(good), tables, signing_key)  # a genuine, older backup…
    put_backup(s3, KEY, good)  # …copied under the newest name, with its signed manifest
    copied = s3.get_object(Bucket=BUCKET, Key=manifest_key(OLDER))["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=manifest_key(KEY), Body=copied)
    attempts.refused(f"the backup {OLDER.rsplit('/', 1)[-1]} and its signed manifest copied under the newest name, "
                     f"{KEY.rsplit('/', 1)[-1]}", "signed for|another backup|older|not for|" + re.escape(OLDER),
                     "refuse a manifest whose 'backup' is not the key being restored: its signature vouches for "
                     "another backup")


@pytest.mark.points(2)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 60 s
def test_a_restore_that_fails_halfway_leaves_the_target_as_it_was(pg, restore, s3, metadata_db, database, pg_server,
                                                                 signing_key, tmp_path, monkeypatch):
    """A truncated dump whose checksums were recomputed and whose manifest was re-signed with the key (no signature can vouch for a broken backup): pg_restore fails, restore_newest raises, the target keeps every row it had, and no scratch database is left"""
    good, tables = _backup(metadata_db, tmp_path)
    truncated = good[:-512]  # a backup that lost its end, signed by the backup itself (pg_dump's exit code ignored)
    put_backup(s3, KEY, truncated)
    put_manifest(s3, KEY, _sha(truncated), tables, signing_key)
    _write(metadata_db, "written after the backup", "and another")
    before = _rows(pg_server, metadata_db.name)
    databases = database_names(pg_server)
    bin_folder, log = recording_pg_restore(tmp_path / "bin")
    monkeypatch.setenv("PG_BIN_DIR", str(bin_folder))
    outcome = _restore(restore, s3, database, signing_key)
    not_written(outcome.error)
    into = [restored_into(args) for args in pg_restore_calls(log)]
    in_place = database.name in into
    after = _rows(pg_server, metadata_db.name)
    check(after == before, f"a restore that failed changed the target: {_changes(before, after)}"
          + (f" (pg_restore said: {first_line(outcome.error)})" if outcome.error else ""),
          ("pg_restore ran straight into the target: when it fails halfway, the target is left half restored. "
           if in_place else "") + SCRATCH_HINT)
    check(isinstance(outcome.error, pg.BackupError),
          f"pg_restore cannot restore a truncated dump, and restore_newest "
          f"{'raised ' + type(outcome.error).__name__ if outcome.error else 'returned normally'}"
          + (f": {first_line(outcome.error)}" if outcome.error else ""),
          "let pg_restore's BackupError propagate once the scratch database is dropped (except BaseException: …; raise)")
    check(bool(into), "pg_restore never ran, yet restore_newest failed: " + first_line(outcome.error))
    left = left_behind(pg_server, databases, database.name)
    check(not left, f"a failed restore left database(s) behind: {', '.join(left)} (a half-restored copy of every secret)",
          "drop the scratch database when anything fails: except BaseException: drop_database(target, scratch.name); raise")


@pytest.mark.points(1)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 60 s
def test_a_restore_that_differs_from_its_manifest_does_not_replace_the_target(pg, restore, s3, metadata_db, database,
                                                                             pg_server, signing_key, tmp_path):
    """A signed dump that restores but does not hold what its manifest records (a row written between the manifest and the dump) is refused: the target keeps every row it had, and no scratch database is left"""
    tables = _rows(pg_server, metadata_db.name)  # the manifest's moment…
    _write(metadata_db, "written between the manifest and the dump")
    good, _ = _backup(metadata_db, tmp_path)  # …and the dump's, one row later (no shared snapshot)
    put_backup(s3, KEY, good)
    put_manifest(s3, KEY, _sha(good), tables, signing_key)
    _write(metadata_db, "written after the backup")
    before = _rows(pg_server, metadata_db.name)
    databases = database_names(pg_server)
    outcome = _restore(restore, s3, database, signing_key)
    not_written(outcome.error)
    after = _rows(pg_server, metadata_db.name)
    check(after == before, f"a restore whose tables differ from its manifest replaced the target anyway: "
          f"{_changes(before, after)}", "compare the scratch copy with the manifest (differences(tables, scratch)) and "
          "raise BackupError when anything differs, before swap_in")
    check(isinstance(outcome.error, pg.BackupError),
          f"the restored copy differs from its manifest (log: one row more), and restore_newest "
          f"{'raised ' + type(outcome.error).__name__ if outcome.error else 'returned normally'}"
          + (f": {first_line(outcome.error)}" if outcome.error else ""),
          "raise BackupError listing differences(tables, scratch) when it is not empty")
    check("log" in str(outcome.error), f"the error should name the table that differs (log): {first_line(outcome.error)}")
    left = left_behind(pg_server, databases, database.name)
    check(not left, f"a refused restore left database(s) behind: {', '.join(left)}",
          "drop the scratch database when anything fails: except BaseException: drop_database(target, scratch.name); raise")


@pytest.mark.points(2)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 60 s
def test_a_verified_restore_replaces_the_target_whole(restore, s3, metadata_db, database, pg_server, signing_key, tmp_path):
    """A signed, intact backup replaces the target: afterwards it holds exactly the backup's rows (later writes rolled back, as a restore must), restore_newest reports the dump's SHA-256, and no scratch or replaced database is left"""
    good, tables = _backup(metadata_db, tmp_path)
    put_backup(s3, KEY, good)
    put_manifest(s3, KEY, _sha(good), tables, signing_key)
    _write(metadata_db, "written after the backup", "and another")
    databases = database_names(pg_server)
    outcome = _restore(restore, s3, database, signing_key)
    not_written(outcome.error)
    said = str(outcome.error)
    hint = None
    if re.search(r"sign|verif", said, re.I):
        hint = ("sign and verify the same bytes: manifest_signature(manifest, secret) over canonical(manifest), which "
                "leaves the signature field out; compare with hmac.compare_digest")
    elif re.search(r"sha|checksum|manifest", said, re.I):
        hint = "a dump is genuine when its SHA-256 equals the signed manifest's sha256"
    check(outcome.error is None, f"restore_newest refused a signed, intact backup: {type(outcome.error).__name__}: "
          f"{first_line(said)}", hint)
    after = _rows(pg_server, metadata_db.name)
    check(after == tables, f"after restore_newest the target is not the backup: {_changes(tables, after)}",
          "swap_in(scratch, target) once the scratch copy matches the manifest: the target must become the backup")
    left = left_behind(pg_server, databases, database.name)
    check(not left, f"a restore that worked left database(s) behind: {', '.join(left)}",
          "swap_in renames the scratch copy onto the target and drops the one it replaced")
    check_equal((outcome.result or {}).get("sha256"), _sha(good), "restore_newest(...)['sha256'] (the verified SHA-256 of the dump)")

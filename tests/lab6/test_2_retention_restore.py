"""Lab 6 · retention keeps the newest N (never fewer than one), and a restore refuses a corrupted backup."""
from __future__ import annotations

import hashlib
import os

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from labkit.services import airflow_metadata
from tests.lab6.helpers import BUCKET, PREFIX, first_line, not_written, objects, put_backup, put_manifest

DAYS = [f"202603{d:02d}T000000" for d in (14, 15, 16, 17, 18, 19)]
BACKUPS = [f"{PREFIX}/metadata-{stamp}.dump" for stamp in DAYS]
UNRELATED = [f"{PREFIX}/README.txt", "other_team/metadata-20260101T000000.dump"]


def _seed(s3, keys=BACKUPS) -> None:
    # Uploaded newest first: an order by upload time would pick the wrong ones.
    for key in reversed(keys):
        put_backup(s3, key, f"dump of {key}".encode())
    for key in UNRELATED:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"not a backup")


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_retention_keeps_exactly_the_newest_n(store, s3):
    """apply_retention(keep=3) over 6 dated backups leaves the 3 newest, returns the 3 it deleted, and touches nothing else"""
    _seed(s3)
    outcome = finishes_within(20, lambda: store.apply_retention(s3, BUCKET, keep=3), "apply_retention(keep=3)")
    not_written(outcome.error)
    check(outcome.error is None, f"apply_retention raised {type(outcome.error).__name__}: {outcome.error}")
    left = sorted(objects(s3))
    check_equal([k for k in left if k in BACKUPS], BACKUPS[-3:], "the backups left (the newest three, by the date in their key)")
    check_equal(sorted(k for k in left if k not in BACKUPS), sorted(UNRELATED), "other objects (not backups: never deleted)")
    check_equal(sorted(outcome.result or []), BACKUPS[:3], "what apply_retention returned (the deleted keys)")


@pytest.mark.points(1)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_retention_never_deletes_the_newest_backup(store, s3):
    """keep=0 is refused with ValueError and deletes nothing; keep larger than the count deletes nothing; keep=1 leaves just the newest"""
    _seed(s3, BACKUPS[:2])
    outcome = finishes_within(20, lambda: store.apply_retention(s3, BUCKET, keep=0), "apply_retention(keep=0)")
    not_written(outcome.error)
    check(isinstance(outcome.error, ValueError),
          f"keep=0 should raise ValueError, got {type(outcome.error).__name__ if outcome.error else 'no error'}",
          "a typo in a param must not wipe every backup: refuse keep < 1")
    check_equal(sorted(k for k in objects(s3) if k in BACKUPS), BACKUPS[:2], "backups left after keep=0")
    outcome = finishes_within(20, lambda: store.apply_retention(s3, BUCKET, keep=10), "apply_retention(keep=10)")
    check(outcome.error is None, f"keep=10 raised {type(outcome.error).__name__}: {outcome.error}")
    check_equal(sorted(k for k in objects(s3) if k in BACKUPS), BACKUPS[:2], "backups left after keep=10 (only 2 exist)")
    outcome = finishes_within(20, lambda: store.apply_retention(s3, BUCKET, keep=1), "apply_retention(keep=1)")
    check(outcome.error is None, f"keep=1 raised {type(outcome.error).__name__}: {outcome.error}",
          "only keep < 1 is refused: keep=1 (just the newest backup) is a valid retention")
    check_equal(sorted(k for k in objects(s3) if k in BACKUPS), BACKUPS[1:2], "backups left after keep=1 (the newest)")


@pytest.mark.points(2)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_a_corrupted_backup_is_refused_before_restoring(pg, restore, s3, metadata_db, empty_database, tmp_path, pg_server,
                                                        monkeypatch, signing_key):
    """A backup whose bytes no longer match its recorded SHA-256 is refused (BackupError naming the key); nothing is restored"""
    dump = tmp_path / "good.dump"
    airflow_metadata.dump(metadata_db, dump)
    data = dump.read_bytes()
    key = BACKUPS[-1]
    good_sha = hashlib.sha256(data).hexdigest()
    put_backup(s3, key, data[:-100] + b"\0" * 100, sha256=good_sha)  # corrupted in storage
    put_manifest(s3, key, good_sha, {}, signing_key)  # its manifest, signed when the backup was made
    handed = []  # what reached pg_restore (restore_newest calls pg.restore once download_verified returned)
    real_restore = restore.restore

    def pg_restore(path, *args, **kwargs):
        handed.append(path)
        return real_restore(path, *args, **kwargs)

    monkeypatch.setattr(restore, "restore", pg_restore)
    outcome = finishes_within(60, lambda: restore.restore_newest(s3, BUCKET, empty_database, signing_key), "restore_newest()")
    not_written(outcome.error)
    hint = "compare sha256_file(download) with head_object(...)['Metadata']['sha256'] before pg_restore"
    check(not handed, "the corrupted backup was handed to pg_restore: download_verified did not compare its SHA-256 with "
          "the one recorded at upload" + (f" (pg_restore then said: {first_line(outcome.error)})" if outcome.error else ""), hint)
    check(isinstance(outcome.error, pg.BackupError),
          f"expected BackupError for a corrupted backup, got {type(outcome.error).__name__ if outcome.error else 'no error'}: {outcome.error}",
          hint)
    check(key in str(outcome.error), f"the error should name the backup ({key}): {outcome.error}")
    conn = pg_server.connect(empty_database.name)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            tables = cur.fetchone()[0]
    finally:
        conn.close()
    check_equal(tables, 0, "tables restored from the corrupted backup")


def _backup_bytes() -> bytes:
    # Over one 1 MB chunk of sha256_file, under boto3's multipart threshold: one GET, several reads.
    return b"PGDMP" + os.urandom(1024 * 1024 + 4096)


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_an_intact_backup_downloads_with_its_checksum(store, s3, tmp_path):
    """download_verified of an intact backup writes its exact bytes to the path it is given and returns their SHA-256"""
    data, key = _backup_bytes(), BACKUPS[-1]
    put_backup(s3, key, data)
    path = tmp_path / "download.dump"
    outcome = finishes_within(20, lambda: store.download_verified(s3, BUCKET, key, path), "download_verified()")
    not_written(outcome.error)
    check(outcome.error is None, f"download_verified refused an intact backup: {type(outcome.error).__name__}: "
          f"{first_line(outcome.error)}",
          "compare sha256_file(path) with head_object(...)['Metadata']['sha256']: equal means intact"
          if "corrupt" in str(outcome.error) else None)
    check(path.exists(), f"download_verified returned, and there is nothing at the path it was given ({path.name})",
          "s3.download_file(bucket, key, str(path))")
    check(path.read_bytes() == data, f"the download ({path.stat().st_size} bytes) is not the object ({len(data)} bytes)")
    check_equal(outcome.result, hashlib.sha256(data).hexdigest(), "what download_verified returned (the verified SHA-256)",
                "return the checksum you compared (restore_newest reports it)" if outcome.result is None else None)


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_a_corrupted_download_is_deleted(pg, store, s3, tmp_path):
    """download_verified deletes a download whose SHA-256 does not match before raising: no corrupted dump is left for a restore to find"""
    data, key = _backup_bytes(), BACKUPS[-1]
    put_backup(s3, key, data[:-100] + b"\0" * 100, sha256=hashlib.sha256(data).hexdigest())  # corrupted in storage
    path = tmp_path / "download.dump"
    outcome = finishes_within(20, lambda: store.download_verified(s3, BUCKET, key, path), "download_verified()")
    not_written(outcome.error)
    check(isinstance(outcome.error, pg.BackupError),
          "download_verified accepted an object whose SHA-256 does not match its metadata "
          f"({'no error' if outcome.error is None else type(outcome.error).__name__}): nothing to delete it for")
    check(not path.exists(), f"download_verified raised BackupError and left the corrupted download at {path.name}",
          "delete the file before raising (path.unlink(missing_ok=True)): a later restore must not pick it up")

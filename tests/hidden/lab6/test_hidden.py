"""Lab 6 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, finishes_within
from tests.lab6.helpers import BUCKET, PREFIX, fake_tool


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_a_backup_without_a_recorded_checksum_is_refused(restore, pg, s3, empty_database):
    """A backup object carrying no sha256 metadata cannot be verified, so it is refused (BackupError)"""
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/metadata-20260401T000000.dump", Body=b"PGDMP whatever")
    outcome = finishes_within(30, lambda: restore.restore_newest(s3, BUCKET, empty_database), "restore_newest()")
    check(isinstance(outcome.error, pg.BackupError),
          f"expected BackupError for a backup without a checksum, got {type(outcome.error).__name__ if outcome.error else 'no error'}")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_an_empty_dump_is_refused(pg, database, tmp_path, monkeypatch):
    """A pg_dump that exits 0 but writes nothing is refused (BackupError), never uploaded as a 0-byte backup"""
    tool = fake_tool(tmp_path / "bin", "pg_dump", "import sys\nsys.exit(0)\n")
    monkeypatch.setenv("PG_BIN_DIR", str(tool.parent))
    outcome = finishes_within(30, lambda: pg.dump(database, tmp_path / "out.dump"), "dump()")
    check(isinstance(outcome.error, pg.BackupError),
          f"expected BackupError for an empty dump, got {type(outcome.error).__name__ if outcome.error else 'no error'}")

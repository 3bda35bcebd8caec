"""Lab 6 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import hashlib
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab6.helpers import BUCKET, PREFIX, fake_tool, first_line, not_written, objects

KEY = f"{PREFIX}/metadata-20260321T000000.dump"


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_a_backup_without_a_recorded_checksum_is_refused(restore, pg, s3, empty_database, signing_key):
    """A backup object carrying no sha256 metadata and no manifest cannot be verified, so it is refused (BackupError), even with the signing key at hand"""
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/metadata-20260401T000000.dump", Body=b"PGDMP whatever")
    outcome = finishes_within(30, lambda: restore.restore_newest(s3, BUCKET, empty_database, signing_key), "restore_newest()")
    not_written(outcome.error)
    check(isinstance(outcome.error, pg.BackupError),
          f"expected BackupError for a backup without a checksum, got {type(outcome.error).__name__ if outcome.error else 'no error'}",
          "no sha256 in head_object(...)['Metadata']: nothing to verify against, so refuse it")


@pytest.mark.points(1)
@pytest.mark.timeout(50)  # its own waits (finishes_within) add up to 40 s
def test_an_empty_dump_is_refused(pg, database, tmp_path, monkeypatch):
    """A pg_dump that exits 0 but writes no file, or an empty one, is refused (BackupError), never uploaded as a 0-byte backup"""
    for case, body in (("writes no file", "import sys\nsys.exit(0)\n"),
                       ("writes an empty file", ("import sys\n"
                                                 "target = next(a.split('=', 1)[1] for a in sys.argv if a.startswith('--file='))\n"
                                                 "open(target, 'wb').close()\nsys.exit(0)\n"))):
        tool = fake_tool(tmp_path / case.replace(" ", "_") / "bin", "pg_dump", body)
        monkeypatch.setenv("PG_BIN_DIR", str(tool.parent))
        outcome = finishes_within(20, lambda: pg.dump(database, tmp_path / f"{case.replace(' ', '_')}.dump"), "dump()")
        not_written(outcome.error)
        check(isinstance(outcome.error, pg.BackupError),
              f"a pg_dump that exits 0 and {case}: expected BackupError, got "
              f"{type(outcome.error).__name__ if outcome.error else 'no error'}",
              "after pg_dump, refuse a missing file AND an empty one (st_size == 0)")


@pytest.mark.points(1)
@pytest.mark.timeout(60)  # its own waits (finishes_within) add up to 45 s
def test_dump_returns_the_size_of_the_file_it_wrote(pg, database, tmp_path):
    """dump() returns the size in bytes of the dump it wrote"""
    path = tmp_path / "metadata.dump"
    outcome = finishes_within(45, lambda: pg.dump(database, path), "dump()")
    not_written(outcome.error)
    check(outcome.error is None, f"dump() raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    check(path.exists(), f"dump() returned and wrote no {path.name}")
    check_equal(outcome.result, path.stat().st_size, "what dump() returned (the size of the file, path.stat().st_size)")


@pytest.mark.points(1)
@pytest.mark.timeout(60)  # its own waits (finishes_within) add up to 45 s
def test_backup_to_s3_returns_what_it_uploaded(backup_module, database, s3, monkeypatch, scratch_tmp):
    """backup_to_s3 returns {"key", "sha256", "bytes"}: the key, the SHA-256 and the size of the object it uploaded"""
    sizes = []
    real_dump = backup_module.dump

    def dump(*args, **kwargs):
        sizes.append(real_dump(*args, **kwargs))
        return sizes[-1]

    monkeypatch.setattr(backup_module, "dump", dump)
    outcome = finishes_within(45, lambda: backup_module.backup_to_s3(database, s3, BUCKET, KEY), "backup_to_s3()")
    not_written(outcome.error)
    check(outcome.error is None, f"backup_to_s3 raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    stored = objects(s3)
    check(KEY in stored, f"backup_to_s3 uploaded nothing to {KEY}; the bucket holds {sorted(stored) or 'nothing'}")
    done = outcome.result
    check(isinstance(done, dict), f"backup_to_s3 returned {done!r}, not a dict", 'return {"key": key, "sha256": digest, "bytes": size}')
    check_equal(done.get("key"), KEY, 'backup_to_s3(...)["key"]')
    check_equal(done.get("sha256"), stored[KEY]["sha256"], 'backup_to_s3(...)["sha256"] (the SHA-256 of the object uploaded)')
    check_equal(done.get("bytes"), stored[KEY]["size"], 'backup_to_s3(...)["bytes"] (the size of the object uploaded)',
                "dump() returns the size it wrote: return path.stat().st_size" if sizes and sizes[0] == done.get("bytes") else None)


def _tree(tmp_path, files: dict[str, float]):
    """A log folder holding `files` (relative path -> mtime as a timestamp)."""
    base = tmp_path / "logs"
    for rel, when in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
        os.utime(path, (when, when))
    return base


def _left(base):
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if not p.is_dir() or p.is_symlink())


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_a_log_file_exactly_as_old_as_the_threshold_stays(logs, tmp_path):
    """cleanup_logs(now=…) deletes the files last modified MORE than older_than before now: one exactly that old stays"""
    now = datetime(2020, 1, 31, tzinfo=timezone.utc)  # long ago: a cleanup that ignores `now` deletes everything
    cutoff = (now - timedelta(days=30)).timestamp()
    base = _tree(tmp_path, {"exactly_30_days.log": cutoff, "a_second_older.log": cutoff - 1, "a_day_newer.log": cutoff + 86400})
    outcome = finishes_within(20, lambda: logs.cleanup_logs(base, timedelta(days=30), now=now), "cleanup_logs(now=…)")
    not_written(outcome.error)
    check(outcome.error is None, f"cleanup_logs raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    left = _left(base)
    check("a_day_newer.log" in left, "a file a day newer than the threshold (as of now=2020-01-31) was deleted",
          "judge ages against the `now` cleanup_logs is given (now or datetime.now(timezone.utc))")
    check("a_second_older.log" not in left, "a file 30 days and one second old (as of now=…) was kept")
    check("exactly_30_days.log" in left, "a file exactly 30 days old was deleted: it is not MORE than 30 days old",
          "delete when st_mtime < now - older_than (a file exactly at the cutoff stays)")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_a_log_folder_whose_files_are_all_old_is_kept(logs, tmp_path):
    """When every file is old, the cleanup empties the log folder and its subfolders, but keeps the log folder itself"""
    old = (datetime.now(timezone.utc) - timedelta(days=60)).timestamp()
    base = _tree(tmp_path, {"dag_id=a/run_id=1/task_id=t/attempt=1.log": old, "scheduler/latest.log": old})
    outcome = finishes_within(20, lambda: logs.cleanup_logs(base, timedelta(days=30)), "cleanup_logs()")
    not_written(outcome.error)
    check(outcome.error is None, f"cleanup_logs raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    check(base.is_dir(), "the log folder itself was removed (it was left empty)",
          "remove emptied folders below the base only: the base is Airflow's configured log folder (often a volume or a "
          "mount, with its owner and permissions set by the deployment), not something the cleanup emptied")
    check_equal(sorted(p.name for p in base.iterdir()), [], "what is left in the log folder (every file was old)")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_only_regular_files_are_deleted(logs, tmp_path):
    """An old named pipe in the log folder (a log shipper's) is not a log file: it stays, only regular files are deleted"""
    old = (datetime.now(timezone.utc) - timedelta(days=60)).timestamp()
    base = _tree(tmp_path, {"scheduler/old.log": old})
    pipe = base / "scheduler" / "shipper.log"
    os.mkfifo(pipe)
    os.utime(pipe, (old, old), follow_symlinks=False)
    outcome = finishes_within(20, lambda: logs.cleanup_logs(base, timedelta(days=30)), "cleanup_logs()")
    not_written(outcome.error)
    check(outcome.error is None, f"cleanup_logs raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    check(not (base / "scheduler" / "old.log").exists(), "the old regular file was kept")
    check(os.path.lexists(pipe), "an old named pipe (not a regular file) was deleted",
          "delete regular files only: lstat, then stat.S_ISREG(info.st_mode)")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_an_export_over_an_older_world_readable_file_is_private(secrets, tmp_path):
    """write_private over an older export left readable by others (mode 644): the new export is mode 600 and holds the new text"""
    path = tmp_path / "secrets.json"
    path.write_text('{"old": true}')
    path.chmod(0o644)
    text = '{"variables": {"partner_api_key": "partner-key-lab6-not-real"}}'
    outcome = finishes_within(20, lambda: secrets.write_private(path, text), "write_private()")
    not_written(outcome.error)
    check(outcome.error is None, f"write_private raised {type(outcome.error).__name__}: {first_line(outcome.error)}",
          "os.replace a new temporary file onto the old export: it replaces it whatever its mode")
    mode = stat.S_IMODE(path.stat().st_mode)
    check(mode & 0o077 == 0, f"the export kept the old file's mode {mode:o}: opening an existing file never changes its mode",
          "write a new temporary file (O_CREAT | O_EXCL, 0o600) and os.replace it onto the old one")
    check_equal(path.read_text(), text, "the export's content")
    check_equal(hashlib.sha256(path.read_bytes()).hexdigest(), hashlib.sha256(text.encode()).hexdigest(), "the export's SHA-256")

"""Lab 6 · the backup DAG: a dump that restores to an identical database, and failures that fail.

Each test judges one property on its own evidence: a backup is restored with the kit's own
pg_restore (never the student's download_verified), a test of the backup task keeps the
student's retention out of the run (retention has tests of its own), and the snapshot is
judged on `dump` and on `backup_to_s3` separately.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pendulum
import psycopg2
import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.fixtures import run_dag
from tests.lab6.helpers import (
    BUCKET,
    PREFIX,
    busy_pg_dump,
    download,
    dump_target,
    failing_pg_dump,
    fingerprints,
    first_line,
    kit_restore,
    leftovers,
    not_written,
    objects,
    pg_dump_calls,
    put_backup,
    recording_pg_dump,
    snapshot_of,
)

DAY = pendulum.datetime(2026, 3, 21, tz="UTC")
KEY = f"{PREFIX}/metadata-20260321T000000.dump"
ORM = ("airflow.models", "airflow.settings", "airflow.utils.session")


def _backup(backup_dag, monkeypatch=None, day=DAY, keep=7):
    """One run of the backup DAG. With `monkeypatch`, the retention task deletes nothing: a test
    of the backup task is not judged through the student's retention (it has tests of its own)."""
    if monkeypatch is not None:
        retention = backup_dag.task_dict["retention"].python_callable
        monkeypatch.setitem(retention.__globals__, "apply_retention", lambda *args, **kwargs: [])
    return run_dag(backup_dag, logical_date=day, run_conf={"keep": keep})


def _not_written(ran, task: str = "backup") -> None:
    error = ran.errors.get(task, "")
    if error.startswith("NotImplementedError"):
        fail(f"not written yet: the {task} task raised {first_line(error)}")


def _backup_task_succeeded(ran) -> None:
    _not_written(ran)
    if ran.task_states.get("backup") != "success":
        fail(f"the backup task failed, so there is no backup to look at: {first_line(ran.errors.get('backup', 'no error recorded'))}"
             f"\n{ran.summary()}")


def _snapshot(dsn: str):
    """A read-only REPEATABLE READ connection that exported its snapshot: (conn, snapshot id)."""
    conn = psycopg2.connect(dsn)
    conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_export_snapshot()")
        return conn, cur.fetchone()[0]


def _restored(pg_server, database: str) -> dict:
    conn = psycopg2.connect(pg_server.dsn(database))
    try:
        return fingerprints(conn)
    finally:
        conn.close()


def _restore_hint(error: str) -> str | None:
    if "text format" in error:
        return "pg_dump --format=custom: pg_restore reads archives (custom, tar, directory), not plain SQL"
    return None


@pytest.mark.points(1)
@pytest.mark.timeout(60)
def test_the_backup_reaches_the_database_through_its_connection_only(backup_dag, backup_module, load_lab, s3, metadata_db):
    """The backup reaches the metadata DB through the airflow_db Connection and pg_dump, never through Airflow's ORM (airflow.models, settings.Session)"""
    files = [Path(backup_module.__file__)] + [Path(load_lab(f"backups/{name}.py").__file__) for name in ("pg", "store")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith(ORM):
                    fail(f"{path.name} line {node.lineno} imports {name}: Airflow's ORM, which Airflow 3 tasks cannot use "
                         "(they have no database session)",
                         "reach the database through the airflow_db Connection (BaseHook.get_connection) and pg_dump")
    _not_written(_backup(backup_dag))  # whatever else fails is other tests' finding


@pytest.mark.points(3)
@pytest.mark.timeout(90)
def test_backup_then_restore_gives_an_identical_database(backup_dag, s3, metadata_db, empty_database, pg_server, tmp_path, monkeypatch):
    """The DAG's backup, restored into an empty database with pg_restore, equals the metadata DB table by table (row counts and checksums)"""
    ran = _backup(backup_dag, monkeypatch)
    _backup_task_succeeded(ran)
    stored = objects(s3)
    check(KEY in stored, f"expected the backup at s3://{BUCKET}/{KEY}; the bucket holds {sorted(stored) or 'nothing'}",
          "key: airflow_backup/metadata-<logical date as %Y%m%dT%H%M%S>.dump (backup_key)")
    recorded = stored[KEY]["metadata"].get("sha256")
    check(recorded is not None, f"the backup carries no sha256 metadata (its metadata: {stored[KEY]['metadata']})",
          "upload(s3, path, bucket, key, sha256_file(path)) stores the checksum with the object")
    check_equal(recorded, stored[KEY]["sha256"], "the object's sha256 metadata (the SHA-256 of the bytes uploaded)",
                "checksum the finished dump, the very file you upload")
    error = kit_restore(pg_server, empty_database.name, download(s3, KEY, tmp_path / "backup.dump"))
    check(error is None, f"the backup does not restore with pg_restore: {error}", _restore_hint(error or ""))
    source = psycopg2.connect(metadata_db.dsn)
    try:
        want = fingerprints(source)
    finally:
        source.close()
    got = _restored(pg_server, empty_database.name)
    different = [t for t in sorted(set(want) | set(got)) if want.get(t) != got.get(t)]
    check(len(want) > 50, f"the metadata DB should have Airflow's ~58 tables, found {len(want)}")
    check(not different, f"{len(different)} table(s) differ after the roundtrip: " +
          ", ".join(f"{t} ({want.get(t, ('missing',))[0]} rows → {got.get(t, ('missing',))[0]})" for t in different[:8]))


@pytest.mark.points(2)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 60 s
def test_a_dump_taken_in_a_snapshot_leaves_out_later_writes(pg, database, metadata_db, empty_database, pg_server, tmp_path, monkeypatch):
    """Airflow writes while pg_dump starts: dump(…, snapshot=id) holds the database as of that snapshot, without the row written meanwhile"""
    monkeypatch.setenv("PG_BIN_DIR", str(busy_pg_dump(tmp_path / "bin")))
    path = tmp_path / "snapshot.dump"
    frozen, snapshot_id = _snapshot(metadata_db.dsn)
    try:
        want = fingerprints(frozen)
        outcome = finishes_within(60, lambda: pg.dump(database, path, snapshot=snapshot_id), "dump(snapshot=…)")
    finally:
        frozen.rollback()
        frozen.close()
    not_written(outcome.error)
    check(outcome.error is None, f"dump(snapshot=…) raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    error = kit_restore(pg_server, empty_database.name, path)
    check(error is None, f"the dump does not restore with pg_restore: {error}", _restore_hint(error or ""))
    got = _restored(pg_server, empty_database.name)
    different = [t for t in sorted(set(want) | set(got)) if want.get(t) != got.get(t)]
    if different:
        later_row = different == ["log"] and got["log"][0] == want["log"][0] + 1
        fail("the dump differs from the snapshot it was asked for: " +
             ", ".join(f"{t} ({want.get(t, ('missing',))[0]} rows in the snapshot → {got.get(t, ('missing',))[0]} in the dump)"
                       for t in different[:8]),
             "pass --snapshot=<id> to pg_dump when snapshot is given: the row in log was written after the snapshot"
             if later_row else None)


@pytest.mark.points(1)
@pytest.mark.timeout(90)  # its own waits (finishes_within) add up to 60 s
def test_backup_to_s3_dumps_in_the_snapshot_it_is_given(backup_module, database, metadata_db, s3, tmp_path, monkeypatch, scratch_tmp):
    """backup_to_s3(…, snapshot=id) hands the snapshot on to dump(): the backup and its manifest describe the same moment"""
    bin_folder, log = recording_pg_dump(tmp_path / "bin")
    monkeypatch.setenv("PG_BIN_DIR", str(bin_folder))
    handed = []
    real_dump = backup_module.dump

    def dump(*args, **kwargs):
        handed.append(kwargs.get("snapshot"))
        return real_dump(*args, **kwargs)

    monkeypatch.setattr(backup_module, "dump", dump)
    frozen, snapshot_id = _snapshot(metadata_db.dsn)
    try:
        outcome = finishes_within(60, lambda: backup_module.backup_to_s3(database, s3, BUCKET, KEY, snapshot=snapshot_id),
                                  "backup_to_s3(snapshot=…)")
    finally:
        frozen.rollback()
        frozen.close()
    not_written(outcome.error)
    hint = "dump(db, path, snapshot=snapshot): without it, pg_dump sees rows written after the manifest's snapshot"
    if handed:
        check(snapshot_id in handed, f"backup_to_s3 was given snapshot={snapshot_id!r} and called dump() with "
              f"snapshot={handed[0]!r}", hint)
        return
    calls = pg_dump_calls(log)  # no call to dump(): did pg_dump get the snapshot some other way?
    check(bool(calls), "backup_to_s3 never ran pg_dump (nor called dump())"
          + (f": it raised {type(outcome.error).__name__}: {first_line(outcome.error)}" if outcome.error else ""))
    check(any(snapshot_of(args) == snapshot_id for args in calls),
          f"backup_to_s3 was given snapshot={snapshot_id!r}; pg_dump ran without it ({' '.join(calls[0][:4])} …)", hint)


@pytest.mark.points(2)
@pytest.mark.timeout(60)
def test_a_failing_pg_dump_fails_the_task_and_uploads_nothing(backup_dag, s3, metadata_db, tmp_path, monkeypatch, scratch_tmp):
    """pg_dump dies halfway (a truncated file, exit code 1): the backup task fails saying so, nothing is uploaded, nothing is left on disk"""
    monkeypatch.setenv("PG_BIN_DIR", str(failing_pg_dump(tmp_path / "bin")))
    ran = _backup(backup_dag)
    _not_written(ran)
    if ran.task_states.get("backup") != "failed":
        stored = sorted(objects(s3))
        if stored:
            fail(f"pg_dump exited 1 and the backup task succeeded, uploading the truncated dump: {stored}",
                 "check pg_dump's exit code (subprocess.run(...).returncode, or check=True): a non-zero exit means the "
                 "file is incomplete")
        fail("pg_dump exited 1 and the backup task succeeded (uploading nothing): the failure was swallowed",
             "let the error propagate: a backup that failed must fail its task, or nobody hears of it")
    error = ran.errors.get("backup", "")
    check("pg_dump" in error and ("exit" in error or "server closed" in error),
          f"the task's error should say that pg_dump failed and why; it says: {first_line(error)[:300]}",
          "keep pg_dump's exit code and the last line of its stderr in the error (_run does)")
    stored = objects(s3)
    check(not stored, f"a failed dump was uploaded: {sorted(stored)} (a truncated backup is worse than none: it looks fine)")
    check(ran.task_states.get("retention") != "success", "retention ran after a failed backup: it could delete good backups")
    check(not leftovers(scratch_tmp), f"files left in the temporary folder after pg_dump failed: {leftovers(scratch_tmp)}",
          "remove the temporary folder in a finally: block")


@pytest.mark.points(2)
@pytest.mark.timeout(60)
def test_a_failing_upload_leaves_no_local_file_and_no_object(backup_dag, s3, metadata_db, monkeypatch, scratch_tmp):
    """The upload fails (the bucket does not exist): the task fails naming S3's error, no dump is left on disk, no object anywhere"""
    monkeypatch.setenv("AIRFLOW_VAR_BACKUP_BUCKET", "no-such-bucket")
    ran = _backup(backup_dag)
    _not_written(ran)
    check(ran.task_states.get("backup") == "failed",
          f"the upload failed (no such bucket) and the backup task succeeded: the failure was swallowed\n{ran.summary()}",
          "let the upload's error propagate: a backup that failed must fail its task")
    error = ran.errors.get("backup", "")
    check("NoSuchBucket" in error or "no-such-bucket" in error or "does not exist" in error,
          f"the task's error should be S3's (the bucket does not exist); it says: {first_line(error)[:300]}")
    check(not leftovers(scratch_tmp), f"a dump of the metadata DB (every secret in it) was left on disk: {leftovers(scratch_tmp)}",
          "remove the local file in a finally: block, whether the upload worked or not")
    check(not objects(s3), "an object was written although the upload failed")


@pytest.mark.points(1)
@pytest.mark.timeout(60)  # its own waits (finishes_within) add up to 45 s
def test_a_successful_backup_leaves_no_copy_on_disk(backup_module, database, s3, tmp_path, monkeypatch, scratch_tmp):
    """After a backup_to_s3 that worked, the dump is gone from the worker's disk as well (its temporary folder removed)"""
    bin_folder, log = recording_pg_dump(tmp_path / "bin")
    monkeypatch.setenv("PG_BIN_DIR", str(bin_folder))
    outcome = finishes_within(45, lambda: backup_module.backup_to_s3(database, s3, BUCKET, KEY), "backup_to_s3()")
    not_written(outcome.error)
    check(outcome.error is None, f"backup_to_s3 raised {type(outcome.error).__name__}: {first_line(outcome.error)} "
          "(no successful backup to look at)")
    written = [target for target in (dump_target(args) for args in pg_dump_calls(log)) if target]
    left = sorted({*(t for t in written if Path(t).exists()), *(str(scratch_tmp / p) for p in leftovers(scratch_tmp))})
    check(not left, f"a copy of the metadata DB (every secret in it) stays on disk after a successful backup: {left}",
          "remove the temporary folder in a finally: block, so it goes on success as well as on failure")


@pytest.mark.points(1)
@pytest.mark.timeout(120)
def test_the_dag_runs_end_to_end_and_its_backup_passes_the_restore_drill(backup_dag, drill_dag, s3, metadata_db, pg_server):
    """The DAG runs end to end (backup, then retention with the run's keep=2) and the restore drill finds its backup identical to its manifest"""
    older = [f"{PREFIX}/metadata-202603{day}T000000.dump" for day in (18, 19, 20)]
    for key in older:
        put_backup(s3, key, b"an older backup")
        s3.put_object(Bucket=BUCKET, Key=f"airflow_backup_manifests/{key.rsplit('/', 1)[-1]}.json", Body=b"{}")
    ran = _backup(backup_dag, keep=2)
    _not_written(ran)
    _not_written(ran, "retention")
    check(ran.succeeded, "the backup DAG's run failed: " +
          "; ".join(f"{task}: {first_line(error)}" for task, error in ran.errors.items()) + f"\n{ran.summary()}")
    left = sorted(k for k in objects(s3) if k.startswith(f"{PREFIX}/"))
    newest = [older[-1], KEY]
    check(left == newest, f"retention with keep=2 left {left}; expected the newest two, {newest} (the new backup and the one before)")
    scratch = f"drill_{metadata_db.name}"[:60]
    try:
        drill = run_dag(drill_dag, run_conf={"scratch_db": scratch})
    finally:
        pg_server.drop_database(scratch)
    _not_written(drill, "drill")
    check(drill.succeeded, "the restore drill failed on the DAG's backup: " +
          "; ".join(f"{task}: {first_line(error)}" for task, error in drill.errors.items()) + f"\n{drill.summary()}")

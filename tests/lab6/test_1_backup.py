"""Lab 6 · the backup DAG: a dump that restores to an identical database, and failures that fail."""
from __future__ import annotations


import pendulum
import psycopg2
import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.fixtures import run_dag
from tests.lab6.helpers import BUCKET, PREFIX, busy_pg_dump, failing_pg_dump, fingerprints, leftovers, objects

DAY = pendulum.datetime(2026, 3, 21, tz="UTC")
KEY = f"{PREFIX}/metadata-20260321T000000.dump"


def _backup(backup_dag, day=DAY, keep=7):
    return run_dag(backup_dag, logical_date=day, run_conf={"keep": keep})


@pytest.mark.points(3)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_backup_then_restore_gives_an_identical_database(backup_dag, restore, s3, metadata_db, empty_database, pg_server):
    """The DAG's backup, restored into an empty database, equals the metadata DB table by table (row counts and checksums)"""
    ran = _backup(backup_dag)
    check(ran.succeeded, f"the backup run should succeed\n{ran.summary()}")
    stored = objects(s3)
    check(KEY in stored, f"expected the backup at s3://{BUCKET}/{KEY}; the bucket holds {sorted(stored) or 'nothing'}",
          "key: airflow_backup/metadata-<logical date as %Y%m%dT%H%M%S>.dump (backup_key)")
    check_equal(stored[KEY]["metadata"].get("sha256"), stored[KEY]["sha256"],
                "the object's sha256 metadata (it must be the SHA-256 of what was uploaded)")
    outcome = finishes_within(60, lambda: restore.restore_newest(s3, BUCKET, empty_database), "restore_newest()")
    check(outcome.error is None, f"restore_newest() raised {type(outcome.error).__name__}: {outcome.error}")
    source = psycopg2.connect(metadata_db.dsn)
    copy = psycopg2.connect(pg_server.dsn(empty_database.name))
    try:
        want, got = fingerprints(source), fingerprints(copy)
    finally:
        source.close()
        copy.close()
    different = [t for t in sorted(set(want) | set(got)) if want.get(t) != got.get(t)]
    check(len(want) > 50, f"the metadata DB should have Airflow's ~58 tables, found {len(want)}")
    check(not different, f"{len(different)} table(s) differ after the roundtrip: " +
          ", ".join(f"{t} ({want.get(t, ('missing',))[0]} rows → {got.get(t, ('missing',))[0]})" for t in different[:8]))


@pytest.mark.points(2)
def test_a_busy_airflow_still_gets_a_consistent_backup(backup_dag, drill_dag, s3, metadata_db, tmp_path, monkeypatch, pg_server):
    """Airflow writes while pg_dump starts: the dump is taken in the backup's snapshot, so the restore drill finds it identical to its manifest"""
    monkeypatch.setenv("PG_BIN_DIR", str(busy_pg_dump(tmp_path / "bin")))
    ran = _backup(backup_dag)
    check(ran.succeeded, f"the backup run should succeed\n{ran.summary()}")
    scratch = f"drill_{metadata_db.name}"[:60]
    try:
        drill = run_dag(drill_dag, run_conf={"scratch_db": scratch})
    finally:
        pg_server.drop_database(scratch)
    if not drill.succeeded:
        fail(f"the restore drill found the backup different from its manifest\n{drill.summary()}",
             "pass snapshot= through to pg_dump (--snapshot=<id>): the dump and the manifest must describe the same moment")


@pytest.mark.points(2)
def test_a_failing_pg_dump_fails_the_task_and_uploads_nothing(backup_dag, s3, metadata_db, tmp_path, monkeypatch, scratch_tmp):
    """pg_dump dies halfway (a truncated file, exit code 1): the backup task fails saying so, nothing is uploaded, nothing is left on disk"""
    monkeypatch.setenv("PG_BIN_DIR", str(failing_pg_dump(tmp_path / "bin")))
    ran = _backup(backup_dag)
    check(ran.task_states.get("backup") == "failed", f"the backup task should fail when pg_dump fails\n{ran.summary()}",
          "check pg_dump's exit code (subprocess.run(...).returncode, or check=True): a non-zero exit means the file is incomplete")
    error = ran.errors.get("backup", "")
    check("pg_dump" in error and ("exit" in error or "server closed" in error),
          f"the task's error should say that pg_dump failed and why; it says: {error[:400]}")
    stored = objects(s3)
    check(not stored, f"a failed dump was uploaded: {sorted(stored)} (a truncated backup is worse than none: it looks fine)")
    check(ran.task_states.get("retention") != "success", "retention ran after a failed backup: it could delete good backups")
    check(not leftovers(scratch_tmp), f"files left in the temporary folder: {leftovers(scratch_tmp)}",
          "remove the dump in a finally: block")


@pytest.mark.points(2)
def test_a_failing_upload_leaves_no_local_file_and_no_object(backup_dag, s3, metadata_db, monkeypatch, scratch_tmp):
    """The upload fails (the bucket does not exist): the task fails naming S3's error, no dump is left on disk, no object anywhere"""
    monkeypatch.setenv("AIRFLOW_VAR_BACKUP_BUCKET", "no-such-bucket")
    ran = _backup(backup_dag)
    check(ran.task_states.get("backup") == "failed", f"the backup task should fail when the upload fails\n{ran.summary()}")
    error = ran.errors.get("backup", "")
    check("NoSuchBucket" in error or "no-such-bucket" in error or "does not exist" in error,
          f"the task's error should be S3's (the bucket does not exist); it says: {error[:400]}")
    check(not leftovers(scratch_tmp), f"a dump of the metadata DB (every secret in it) was left on disk: {leftovers(scratch_tmp)}",
          "remove the local file in a finally: block, whether the upload worked or not")
    check(not objects(s3), "an object was written although the upload failed")


@pytest.mark.points(1)
def test_the_backup_runs_through_connections_only(backup_dag, backup_module, load_lab, s3, metadata_db):
    """The DAG runs end to end (backup, then retention) and no task touches Airflow's ORM (airflow.models, settings.Session)"""
    import ast
    from pathlib import Path

    ran = _backup(backup_dag)
    check(ran.succeeded, f"the backup run should succeed\n{ran.summary()}")
    forbidden = ("airflow.models", "airflow.settings", "airflow.utils.session")
    files = [Path(backup_module.__file__)] + [Path(load_lab("lab6", f"backups/{name}.py").__file__) for name in ("pg", "store")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                if name.startswith(forbidden):
                    fail(f"{path.name} line {node.lineno} imports {name}: Airflow 3 tasks have no database session",
                         "reach the database through the airflow_db Connection (BaseHook.get_connection) and pg_dump")

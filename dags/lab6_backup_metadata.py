"""Lab 6 · back up Airflow's metadata DB to S3 every day, and keep the newest N backups.

The course's DAG crashed on every run (a `datetime` import shadowed by its own name),
ignored pg_dump's exit code, left the dump on disk when the upload failed, and kept every
backup forever. This one:

1. `backup`: pg_dump (custom format) of the `airflow_db` connection's database into a
   temporary folder, exit code checked, SHA-256 computed, uploaded to
   s3://<Variable backup_bucket>/airflow_backup/metadata-<logical date>.dump with the
   checksum as metadata, and a manifest of every table's fingerprint taken in the same
   snapshot, signed with the key in the Variable `backup_manifest_secret`; the local file is
   removed whether the upload worked or not;
2. `retention`: deletes all but the newest `keep` backups (never the newest).

Why sign the manifest: the SHA-256 stored with the object detects accidents (a truncated
upload, a flipped bit), not tampering — whoever can rewrite the object can rewrite its
checksum, and the manifest beside it, too. An HMAC made with a key that is *not* in the
bucket cannot be recomputed by them, so the restore refuses a manifest (and, through the
SHA-256 it records, a dump) that anyone without the key has touched. Keep that key where
the restore finds it when the metadata DB is gone: a secrets backend or the deployment's
environment (`AIRFLOW_VAR_BACKUP_MANIFEST_SECRET`), not a Variable stored in the metadata DB
(it would sit inside the very backups it protects) and never in the bucket. A name with
"secret" in it also keeps Airflow masking its value in task logs.

Tasks reach the database through a Connection and pg_dump only: Airflow 3 tasks have no
ORM access to the metadata DB (and a backup should not need any).

If the metadata DB is a managed service (RDS, Cloud SQL), prefer its own snapshots and
point-in-time recovery: this DAG is for a PostgreSQL you run yourself.
"""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pendulum

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import BaseHook, Param, Variable, dag, task

from backups.pg import BackupError, Database, dump, sha256_file, snapshot
from backups.store import apply_retention, backup_key, drop_orphan_manifests, upload, write_manifest

DB_CONN_ID = "airflow_db"
S3_CONN_ID = "aws_default"
BUCKET_VARIABLE = "backup_bucket"
SECRET_VARIABLE = "backup_manifest_secret"  # the manifests' signing key: kept apart from the bucket


def backup_to_s3(db: Database, s3, bucket: str, key: str, *, snapshot: str | None = None) -> dict:
    """Dump `db` (as of `snapshot`), upload it under `key` with its checksum; the local copy
    never outlives the call."""
    # BEGIN SOLUTION: in a tempfile.mkdtemp() folder: size = dump(db, path, snapshot=snapshot); digest = sha256_file(path); upload(s3, path, bucket, key, digest); return {"key", "sha256", "bytes"}; in a finally, shutil.rmtree the folder (success or failure: a dump holds every secret of the DB)
    folder = Path(tempfile.mkdtemp(prefix="airflow-backup-"))
    try:
        path = folder / key.rsplit("/", 1)[-1]
        size = dump(db, path, snapshot=snapshot)
        digest = sha256_file(path)
        upload(s3, path, bucket, key, digest)
        return {"key": key, "sha256": digest, "bytes": size}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # END SOLUTION


def s3_client():
    return S3Hook(aws_conn_id=S3_CONN_ID).get_conn()


def signing_secret() -> str:
    """The key the manifests are signed with (Variable backup_manifest_secret), or BackupError."""
    secret = Variable.get(SECRET_VARIABLE, default=None)
    if not secret:
        raise BackupError(f"no Variable {SECRET_VARIABLE}: set AIRFLOW_VAR_BACKUP_MANIFEST_SECRET in the environment or "
                          "a secrets backend (not in the metadata DB, not in the bucket); a backup whose manifest "
                          "is not signed cannot be restored")
    return secret


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5)},
    params={"keep": Param(7, type="integer", minimum=1, description="backups to keep, newest first")},
    tags=["lab6"],
)
def lab6_backup_metadata():
    @task
    def backup(logical_date: datetime | None = None) -> dict:
        db = Database.from_connection(BaseHook.get_connection(DB_CONN_ID))
        s3, bucket, secret = s3_client(), Variable.get(BUCKET_VARIABLE), signing_secret()
        # Airflow keeps writing while we dump: the dump and its manifest share one snapshot.
        with snapshot(db) as (frozen, tables):
            done = backup_to_s3(db, s3, bucket, backup_key(logical_date), snapshot=frozen)
        write_manifest(s3, bucket, done["key"], tables, done["sha256"], secret)
        print(f"backed up {db.name}: {done['bytes']:,} bytes to {done['key']} (sha256 {done['sha256'][:12]}…)")
        return done

    @task
    def retention(done: dict, params: dict | None = None) -> list[str]:
        s3, bucket = s3_client(), Variable.get(BUCKET_VARIABLE)
        deleted = apply_retention(s3, bucket, keep=int(params["keep"]))
        drop_orphan_manifests(s3, bucket)
        print(f"kept the newest {params['keep']} backups; deleted {len(deleted)}: {deleted}")
        return deleted

    retention(backup())


lab6_backup_metadata()

# Generated from dags/lab6_restore_drill.py by `labkit release`: edit the parts marked TODO.
"""Lab 6 · the restore drill: restore the newest backup into a scratch database and compare.

Run it by hand (or weekly): it downloads the newest backup, refuses it if its checksum
does not match, restores it into `params.scratch_db` (dropped and created for the drill,
never the source), and fails unless every table matches the manifest the backup recorded
(row counts and checksums, taken in the same snapshot as the dump).
"""
from __future__ import annotations

import pendulum
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import BaseHook, Param, Variable, dag, task

from backups.pg import BackupError, Database
from backups.restore import differences, recreate_database, restore_newest
from backups.store import read_manifest

DB_CONN_ID = "airflow_db"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"scratch_db": Param("airflow_restore_drill", type="string", pattern=r"^[a-z_][a-z0-9_]{0,62}$")},
    tags=["lab6"],
)
def lab6_restore_drill():
    @task
    def drill(params: dict | None = None) -> dict:
        source = Database.from_connection(BaseHook.get_connection(DB_CONN_ID))
        copy = recreate_database(source, params["scratch_db"])
        s3, bucket = S3Hook(aws_conn_id="aws_default").get_conn(), Variable.get("backup_bucket")
        restored = restore_newest(s3, bucket, copy)
        print(f"restored {restored['key']} ({restored['bytes']:,} bytes) in {restored['seconds']} s")
        different = differences(read_manifest(s3, bucket, restored["key"]), copy)
        if different:
            raise BackupError("the restored copy differs from the source:\n" + "\n".join(different))
        return restored

    drill()


lab6_restore_drill()

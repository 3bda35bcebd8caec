"""Lab 6 · the restore drill: restore the newest backup into a drill database, and prove it.

Run it by hand (or weekly). It restores exactly as a real recovery would (backups.restore):
it refuses the newest backup unless its manifest's signature verifies with the key in the
Variable `backup_manifest_secret` and the dump is the one that manifest records; it restores
into a scratch database, fails unless every table matches the manifest (row counts and
checksums, taken in the same snapshot as the dump), and only then puts the result in the
place of `params.scratch_db` — never the source. A drill that fails leaves the previous
drill database as it was.

Why the signature: the SHA-256 stored with a backup only detects accidents. Whoever can
rewrite the object can rewrite its checksum and its manifest; what they cannot do without
the key kept apart from the bucket is sign the result.
"""
from __future__ import annotations

import pendulum

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import BaseHook, Param, Variable, dag, task

from backups.pg import Database
from backups.restore import restore_newest

DB_CONN_ID = "airflow_db"
SECRET_VARIABLE = "backup_manifest_secret"


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
        if params["scratch_db"] == source.name:
            raise ValueError(f"refusing to restore over {source.name}: it is the database being backed up")
        s3, bucket = S3Hook(aws_conn_id="aws_default").get_conn(), Variable.get("backup_bucket")
        # No key, no restore: restore_newest refuses (after saying whether there is a backup at all).
        secret = Variable.get(SECRET_VARIABLE, default=None)
        restored = restore_newest(s3, bucket, source.with_name(params["scratch_db"]), secret)
        print(f"restored {restored['key']} ({restored['bytes']:,} bytes) into {params['scratch_db']} in "
              f"{restored['seconds']} s: signature verified, every table equal to its manifest")
        return restored

    drill()


lab6_restore_drill()

"""Lab 6 fixtures: your backup package and DAGs, a real Airflow metadata DB on PostgreSQL,
S3 (moto), and a log folder with files of known ages.

The metadata DB is the schema `airflow db migrate` creates, filled like a working
Airflow's (Variables and Connections encrypted with a Fernet key, audit-log rows), fresh
for each test and reachable as the connection `airflow_db`. The DAG runs themselves keep
their own bookkeeping elsewhere: what gets backed up is only the database under test.
"""
from __future__ import annotations

import hashlib
import os
import secrets as token
import tempfile

import pytest

from labkit.grading.fixtures import find_dag
from labkit.services import airflow_metadata, postgres
from tests.lab6.helpers import BUCKET


@pytest.fixture(scope="session")
def pg(load_lab):
    """Your backups/pg.py."""
    return load_lab("backups/pg.py")


@pytest.fixture(scope="session")
def store(load_lab, pg):
    """Your backups/store.py."""
    return load_lab("backups/store.py")


@pytest.fixture(scope="session")
def restore(load_lab, pg, store):
    """Your backups/restore.py."""
    return load_lab("backups/restore.py")


@pytest.fixture(scope="session")
def secrets(load_lab, pg):
    """Your backups/secrets.py."""
    return load_lab("backups/secrets.py")


@pytest.fixture(scope="session")
def logs(load_lab):
    """Your backups/logs.py."""
    return load_lab("backups/logs.py")


@pytest.fixture(scope="session")
def backup_module(load_lab, pg, store):
    """Your lab6_backup_metadata.py."""
    return load_lab("lab6_backup_metadata.py")


@pytest.fixture(scope="session")
def backup_dag(backup_module):
    return find_dag(backup_module, "lab6_backup_metadata")


@pytest.fixture(scope="session")
def drill_dag(load_lab, pg, store, restore):
    """The given lab6_restore_drill.py (it restores what your backup wrote)."""
    return find_dag(load_lab("lab6_restore_drill.py"), "lab6_restore_drill")


@pytest.fixture(scope="session")
def cleanup_dag(load_lab, logs):
    return find_dag(load_lab("lab6_cleanup_logs.py"), "lab6_cleanup_logs")


@pytest.fixture(scope="session")
def schema_ready(pg_server):
    """The migrated schema, built once per Airflow version (~5 s the first time, then cached)."""
    return airflow_metadata.schema_dump(pg_server)


@pytest.fixture
def metadata_db(pg_server, schema_ready, request, monkeypatch):
    """A filled metadata DB of this test's own, as the Airflow connection `airflow_db`."""
    name = "meta_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:10] + f"_{os.getpid()}"
    db = airflow_metadata.create(pg_server, name)
    monkeypatch.setenv("AIRFLOW_CONN_AIRFLOW_DB", db.dsn)
    monkeypatch.setenv("PG_BIN_DIR", str(postgres.bin_dir()))
    yield db
    if not os.environ.get("LABKIT_PG_EPHEMERAL"):
        pg_server.drop_database(name)


@pytest.fixture
def database(pg, metadata_db):
    """The metadata DB as your backups.pg.Database."""
    s = metadata_db.server
    return pg.Database(s.host, s.port, s.user, s.password, metadata_db.name)


@pytest.fixture
def empty_database(pg, pg_server, warehouse):
    """A database with nothing in it, to restore into (the test's own empty warehouse)."""
    return pg.Database(pg_server.host, pg_server.port, pg_server.user, pg_server.password, warehouse.name)


@pytest.fixture
def s3(aws_s3, monkeypatch):
    """A boto3 client to moto, with the backup bucket made and named in Variable backup_bucket."""
    client = aws_s3.client()
    client.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("AIRFLOW_VAR_BACKUP_BUCKET", BUCKET)
    return client


@pytest.fixture(autouse=True)
def signing_key(monkeypatch):
    """The key the backup manifests are signed with: the Variable backup_manifest_secret, set in
    the environment (AIRFLOW_VAR_…) as a deployment or a secrets backend would hold it — never
    in the bucket, never in the metadata DB it protects. A new one for every test."""
    key = token.token_hex(32)
    monkeypatch.setenv("AIRFLOW_VAR_BACKUP_MANIFEST_SECRET", key)
    return key


@pytest.fixture
def scratch_tmp(tmp_path, monkeypatch):
    """The temporary folder of this test (TMPDIR and tempfile): whatever a backup leaves behind shows up here."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder

"""The lab 6 metadata DB: Airflow's own schema on PostgreSQL, filled like a working Airflow's."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken

from labkit.services import airflow_metadata, postgres

pytestmark = pytest.mark.timeout(120)  # the first schema build migrates (~5 s, then cached)


@pytest.fixture(scope="module")
def server():
    pg = postgres.start()
    yield pg
    pg.stop()


def test_a_metadata_db_has_airflows_schema_and_encrypted_secrets(server):
    db = airflow_metadata.create(server, "kit_meta")
    conn = server.connect("kit_meta")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            assert cur.fetchone()[0] > 50  # dag, dag_run, task_instance, variable, connection, log, …
            cur.execute("SELECT val, is_encrypted FROM variable WHERE key = 'partner_api_key'")
            stored, encrypted = cur.fetchone()
            cur.execute("SELECT count(*) FROM log")
            assert cur.fetchone()[0] == 25
    finally:
        conn.close()
    assert encrypted and airflow_metadata.VARIABLES["partner_api_key"] not in stored
    assert Fernet(db.fernet_key.encode()).decrypt(stored.encode()).decode() == airflow_metadata.VARIABLES["partner_api_key"]
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(stored.encode())


def test_env_points_airflow_and_the_backup_dag_at_it_without_printing_secrets(server):
    db = airflow_metadata.create(server, "kit_meta_env", seed=False)
    env = db.env()
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["AIRFLOW_CONN_AIRFLOW_DB"] == db.dsn and env["AIRFLOW__CORE__FERNET_KEY"] == db.fernet_key
    shown = repr(db)  # what a notebook cell shows when it ends with the object
    assert db.fernet_key not in shown and (not db.server.password or db.server.password not in shown)

"""Lab 6 · Variables and Connections exported as the secrets they are, and the Fernet key's role."""
from __future__ import annotations

import json
import logging
import stat

import pendulum
import psycopg2
import pytest
from cryptography.fernet import Fernet, InvalidToken

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.fixtures import run_dag
from labkit.services import airflow_metadata
from labkit.services.airflow_metadata import CONNECTIONS, VARIABLES
from tests.lab6.helpers import BUCKET

SECRETS = [VARIABLES["partner_api_key"], CONNECTIONS["warehouse"]["password"], CONNECTIONS["slack_alerts"]["password"]]


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_an_export_holds_every_secret_and_only_its_owner_can_read_it(secrets, database, metadata_db, tmp_path, capsys, caplog):
    """export_secrets writes every DB-defined Variable and Connection (in clear) to a mode-600 file and prints none of them"""
    path = tmp_path / "secrets.json"
    with caplog.at_level(logging.DEBUG):
        outcome = finishes_within(20, lambda: secrets.export_secrets(database, metadata_db.fernet_key, path), "export_secrets()")
    check(outcome.error is None, f"export_secrets raised {type(outcome.error).__name__}: {outcome.error}")
    check(path.exists(), f"export_secrets wrote no {path.name}")
    mode = stat.S_IMODE(path.stat().st_mode)
    check(mode & 0o077 == 0, f"the export is mode {mode:o}: others can read every password in it",
          "create it with os.open(..., 0o600) (writing first and chmod-ing after leaves a window)")
    exported = json.loads(path.read_text())
    check_equal(exported.get("variables"), VARIABLES, "the exported Variables (decrypted)")
    for conn_id, expected in CONNECTIONS.items():
        got = exported.get("connections", {}).get(conn_id) or {}
        check_equal(got.get("password"), expected["password"], f"the exported password of connection {conn_id}")
    printed = capsys.readouterr()
    shown = printed.out + printed.err + caplog.text
    leaked = [s for s in SECRETS if s in shown]
    check(not leaked, "the export printed or logged a secret: task logs are read by many people")


@pytest.mark.points(1)
@pytest.mark.timeout(50)  # its own waits (finishes_within) add up to 40 s
def test_an_export_imports_into_another_airflow_with_its_own_key(secrets, database, metadata_db, pg, pg_server, tmp_path):
    """An export imported into a new metadata DB (another Fernet key) reads back the same Variables and Connections"""
    path = tmp_path / "secrets.json"
    outcome = finishes_within(20, lambda: secrets.export_secrets(database, metadata_db.fernet_key, path), "export_secrets()")
    check(outcome.error is None, f"export_secrets raised {type(outcome.error).__name__}: {outcome.error}")
    other = airflow_metadata.create(pg_server, metadata_db.name + "_b", seed=False)
    target = pg.Database(pg_server.host, pg_server.port, pg_server.user, pg_server.password, other.name)
    try:
        outcome = finishes_within(20, lambda: secrets.import_secrets(path, target, other.fernet_key), "import_secrets()")
        check(outcome.error is None, f"import_secrets raised {type(outcome.error).__name__}: {outcome.error}")
        back = secrets.read_secrets(target, other.fernet_key)
        check_equal(back["variables"], VARIABLES, "the Variables read back from the new DB")
        check_equal({k: v["password"] for k, v in back["connections"].items()},
                    {k: v["password"] for k, v in CONNECTIONS.items()}, "the passwords read back from the new DB")
    finally:
        pg_server.drop_database(other.name)


@pytest.mark.points(1)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_a_restore_without_the_fernet_key_has_no_passwords(backup_dag, restore, secrets, s3, metadata_db, empty_database, pg_server):
    """Restored from the DAG's backup, connection passwords decrypt with the original Fernet key only (InvalidToken with any other)"""
    ran = run_dag(backup_dag, logical_date=pendulum.datetime(2026, 3, 22, tz="UTC"))
    check(ran.succeeded, f"the backup run should succeed\n{ran.summary()}")
    outcome = finishes_within(60, lambda: restore.restore_newest(s3, BUCKET, empty_database), "restore_newest()")
    check(outcome.error is None, f"restore_newest() raised {type(outcome.error).__name__}: {outcome.error}")
    conn = psycopg2.connect(pg_server.dsn(empty_database.name))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT password FROM connection WHERE conn_id = 'warehouse'")
            stored = cur.fetchone()[0]
    finally:
        conn.close()
    check(CONNECTIONS["warehouse"]["password"] not in stored, "the dump holds the password in clear")
    check_equal(secrets.decrypt(stored, True, metadata_db.fernet_key), CONNECTIONS["warehouse"]["password"],
                "the password decrypted with the original key")
    try:
        secrets.decrypt(stored, True, Fernet.generate_key().decode())
    except InvalidToken:
        return
    fail("a different Fernet key decrypted the password: decrypt() must use the key it is given")

"""Lab 6 · Variables and Connections exported as the secrets they are, and the Fernet key's role."""
from __future__ import annotations

import json
import logging
import os
import stat

import psycopg2
import pytest
from cryptography.fernet import Fernet, InvalidToken

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.services import airflow_metadata
from labkit.services.airflow_metadata import CONNECTIONS, VARIABLES
from tests.lab6.helpers import WriteWatch, first_line, kit_restore, not_written

SECRETS = [VARIABLES["partner_api_key"], CONNECTIONS["warehouse"]["password"], CONNECTIONS["slack_alerts"]["password"]]
# An export small enough to sit in Python's write buffer until it is flushed (a real one is a few kB).
TEXT = json.dumps({"variables": {"partner_api_key": "partner-key-lab6-not-real"}, "connections": {}}, indent=2)
OLD = '{"variables": {"from": "last week\'s export"}, "connections": {}}'


@pytest.fixture
def watch(monkeypatch):
    """os.fsync, os.replace and chmod watched while the test runs."""
    watching = WriteWatch().arm(monkeypatch)
    yield watching
    watching.disarm()


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_an_export_holds_every_secret_and_only_its_owner_can_read_it(secrets, database, metadata_db, tmp_path, capsys, caplog):
    """export_secrets writes every DB-defined Variable and Connection (in clear) to a mode-600 file and prints none of them"""
    path = tmp_path / "secrets.json"
    with caplog.at_level(logging.DEBUG):
        outcome = finishes_within(20, lambda: secrets.export_secrets(database, metadata_db.fernet_key, path), "export_secrets()")
    not_written(outcome.error)
    check(outcome.error is None, f"export_secrets raised {type(outcome.error).__name__}: {outcome.error}")
    check(path.exists(), f"export_secrets wrote no {path.name}")
    mode = stat.S_IMODE(path.stat().st_mode)
    check(mode & 0o077 == 0, f"the export is mode {mode:o}: others can read every password in it",
          "create it with os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600): open()'s default mode "
          "(0o666 less the umask) lets others read it")
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
    not_written(outcome.error)
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
@pytest.mark.timeout(60)  # its own waits (finishes_within) add up to 45 s
def test_a_restore_without_the_fernet_key_has_no_passwords(pg, secrets, database, metadata_db, empty_database, pg_server, tmp_path):
    """A dump of the metadata DB holds connection passwords encrypted: restored, they decrypt with the original Fernet key only (InvalidToken with any other)"""
    path = tmp_path / "metadata.dump"
    outcome = finishes_within(45, lambda: pg.dump(database, path), "dump()")
    not_written(outcome.error)
    check(outcome.error is None, f"dump() raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    error = kit_restore(pg_server, empty_database.name, path)
    check(error is None, f"your dump does not restore with pg_restore: {error}")
    conn = psycopg2.connect(pg_server.dsn(empty_database.name))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT password FROM connection WHERE conn_id = 'warehouse'")
            row = cur.fetchone()
    finally:
        conn.close()
    check(row is not None and row[0] is not None, "the restored copy has no connection 'warehouse' with a password")
    stored = row[0]
    check(CONNECTIONS["warehouse"]["password"] not in stored, "the dump holds the password in clear")
    check_equal(secrets.decrypt(stored, True, metadata_db.fernet_key), CONNECTIONS["warehouse"]["password"],
                "the password decrypted with the original key")
    try:
        secrets.decrypt(stored, True, Fernet.generate_key().decode())
    except InvalidToken:
        return
    fail("a different Fernet key decrypted the password: decrypt() must use the key it is given")


def _write(secrets, path, text):
    outcome = finishes_within(20, lambda: secrets.write_private(path, text), "write_private()")
    not_written(outcome.error)
    return outcome


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_the_export_is_on_disk_before_it_takes_its_name(secrets, tmp_path, watch):
    """write_private flushes and fsyncs every byte of the export before os.replace gives it its final name (a crash never leaves it empty)"""
    path = tmp_path / "secrets.json"
    outcome = _write(secrets, path, TEXT)
    check(outcome.error is None, f"write_private raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    check(path.exists(), f"write_private wrote no {path.name}")
    final = path.stat()
    events = watch.of(final.st_ino)
    syncs = [(i, e) for i, e in events if e.kind == "fsync"]
    check(bool(syncs), "the export was never fsynced: after a power cut it may be empty, or missing, under its final name",
          "os.fsync(fh.fileno()) once the text is written (after fh.flush()), before os.replace")
    full = [i for i, e in syncs if e.size == final.st_size]
    check(bool(full), f"the export was fsynced holding {max(e.size for _, e in syncs)} of its {final.st_size} bytes: "
          "the rest was still in Python's buffer", "fh.flush() before os.fsync(fh.fileno()): fsync saves what the OS "
          "has been given, not what Python still holds")
    renames = [i for i, e in events if e.kind == "rename" and os.path.basename(e.target) == path.name]
    check(not renames or full[0] < renames[0], "the export took its final name before its bytes were fsynced",
          "write, flush, fsync, and only then os.replace(tmp, path)")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_a_failed_export_leaves_the_previous_one_and_no_temporary_file(secrets, tmp_path):
    """A write that fails halfway raises, leaves the previous export as it was, and no temporary file beside it"""
    folder = tmp_path / "exports"
    folder.mkdir()
    path = folder / "secrets.json"
    path.write_text(OLD)
    path.chmod(0o600)
    unwritable = '{"variables": {"note": "not UTF-8: \ud800"}}'  # a lone surrogate: encoding it fails mid-write
    outcome = _write(secrets, path, unwritable)
    check(outcome.error is not None, "write_private returned normally although its text could not be written (it is "
          "not valid UTF-8): the caller believes the export exists",
          "clean up, then re-raise (except BaseException: tmp.unlink(missing_ok=True); raise)")
    now = path.read_text(errors="replace") if path.exists() else None
    check(now == OLD, f"the previous export was {'deleted' if now is None else f'overwritten (it now holds {len(now)} characters)'}"
          " by a write that failed", "write a temporary file beside it and os.replace it onto the export once complete: "
          "until then the old export stays whole")
    stray = sorted(p.name for p in folder.iterdir() if p.name != path.name)
    check(not stray, f"a failed write left {', '.join(stray)} beside the export (a partial copy of every secret)",
          "remove the temporary file when anything fails (except/finally), then re-raise")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_the_export_is_never_readable_by_others(secrets, tmp_path, watch):
    """The export is private from its first byte: it never holds data while others may read it (no writing first and chmod-ing after)"""
    path = tmp_path / "secrets.json"
    outcome = _write(secrets, path, TEXT)
    check(outcome.error is None, f"write_private raised {type(outcome.error).__name__}: {first_line(outcome.error)}")
    check(path.exists(), f"write_private wrote no {path.name}")
    final = path.stat()
    exposed = [e for _, e in watch.of(final.st_ino) if e.size > 0 and e.mode & 0o077]
    hint = ("create it with os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600): private before its first byte "
            "(whoever opens it while it is readable keeps reading after a chmod)")
    if exposed:
        first = exposed[0]
        fail(f"the export held {first.size} bytes while mode {first.mode:o} (seen at its {first.kind}): anyone could "
             "open it then", hint)
    mode = stat.S_IMODE(final.st_mode)
    check(mode & 0o077 == 0, f"the export is mode {mode:o}: others can read every password in it", hint)

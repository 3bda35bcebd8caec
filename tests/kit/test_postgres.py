"""labkit.services.postgres: the embedded server, its watchdog, and the LABKIT_PG_DSN / Docker priority."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from labkit.paths import ROOT
from labkit.services import postgres, ram_disk
from labkit.services._net import process_alive
from tests.kit.helpers import clean_env, postgres_processes, postmaster_pid, wait_until


@pytest.fixture(scope="module")
def server():
    """One embedded server for the tests that only use it (LABKIT_PG_DSN unset, no Docker here)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LABKIT_PG_DSN", raising=False)
        started = postgres.start()
    yield started
    started.stop()


def my_folders() -> set[Path]:
    return set(postgres.run_root().glob(f"pg-{os.getpid()}-*"))


def test_start_gives_a_healthy_embedded_server_on_localhost(server):
    assert server.mode == "embedded"
    assert server.healthy()
    assert server.host == "127.0.0.1"
    folder = server.data_dir.parent
    assert folder.parent == postgres.run_root()
    assert (folder / "owner.pid").read_text() == str(os.getpid())
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version_num")
        assert cur.fetchone()[0].startswith("16")


def test_create_and_drop_a_database(server):
    dsn = server.create_database("kit_scratch")
    assert dsn == f"postgresql://postgres:{server.password}@127.0.0.1:{server.port}/kit_scratch"
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE leftover (id int)")
    server.create_database("kit_scratch")  # exists already: kept as it is
    assert _tables(dsn) == ["leftover"]
    server.create_database("kit_scratch", replace=True)  # re-created empty
    assert _tables(dsn) == []
    server.drop_database("kit_scratch")
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'kit_scratch'")
        assert cur.fetchone() is None


def _tables(dsn: str) -> list[str]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            return [name for (name,) in cur.fetchall()]
    finally:
        conn.close()


def test_env_describes_the_airflow_connection_and_the_kits_dsns(server):
    env = server.env()
    assert json.loads(env["AIRFLOW_CONN_WAREHOUSE"]) == {
        "conn_type": "postgres",
        "host": "127.0.0.1",
        "port": server.port,
        "login": "postgres",
        "password": server.password,
        "schema": "warehouse",
    }
    assert env["LABKIT_WAREHOUSE_DSN"] == f"postgresql://postgres:{server.password}@127.0.0.1:{server.port}/warehouse"
    assert env["LABKIT_PG_ADMIN_DSN"] == f"postgresql://postgres:{server.password}@127.0.0.1:{server.port}/postgres"
    assert json.loads(server.env("t_123")["AIRFLOW_CONN_WAREHOUSE"])["schema"] == "t_123"


def test_an_embedded_server_has_its_own_password_and_refuses_none(server):
    assert len(server.password) >= 16
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres", connect_timeout=3)
    assert server.safe_dsn() == f"postgresql://postgres:***@127.0.0.1:{server.port}/postgres"


def test_reset_empties_the_server_and_changes_its_password(server):
    server.create_database("kit_leftover")
    old = server.password
    server.reset()
    assert server.password != old and server.healthy()
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'kit_leftover'")
        assert cur.fetchone() is None


def test_a_password_is_quoted_in_the_dsn():
    server = postgres.PostgresServer(host="db", port=5433, user="lab user", password="p@ss:/word")
    assert server.dsn("warehouse") == "postgresql://lab%20user:p%40ss%3A%2Fword@db:5433/warehouse"


def test_stop_ends_the_server_and_removes_its_folder():
    server = postgres.start_embedded()
    folder = server.data_dir.parent
    pid = postmaster_pid(server.data_dir)
    assert process_alive(pid)
    in_memory = server.data_dir.resolve()
    # Its data lives in tmpfs (this machine has room), behind a link named on disk.
    assert server.data_dir.is_symlink() and in_memory.is_relative_to(ram_disk.TMPFS), server.data_dir
    server.stop()
    assert not process_alive(pid)
    assert not folder.exists() and not in_memory.exists()
    assert postgres_processes(str(folder)) == []
    server.stop()  # a second stop is harmless
    assert not server.healthy()


WATCHED_OWNER = """
import time
from labkit.services import postgres

server = postgres.start_embedded()
print(server.data_dir.parent, flush=True)
time.sleep(120)
"""


@pytest.mark.timeout(60)
def test_the_watchdog_stops_a_server_whose_owner_was_killed(tmp_path):
    log = tmp_path / "owner.log"
    with log.open("w") as err:
        owner = subprocess.Popen(
            [sys.executable, "-c", WATCHED_OWNER], cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=err, text=True
        )
    folder = None
    try:
        line = owner.stdout.readline().strip()
        assert line, f"the owner did not start a server:\n{log.read_text()}"
        folder = Path(line)
        pid = postmaster_pid(folder / "data")
        in_memory = (folder / "data").resolve()
        assert process_alive(pid)
        owner.send_signal(signal.SIGKILL)  # no finally:, no atexit: only the watchdog is left
        owner.wait()
        assert wait_until(lambda: not folder.exists() and not process_alive(pid) and not in_memory.exists(), timeout=10), (
            f"10 s after its owner died: folder exists={folder.exists()}, postmaster alive={process_alive(pid)}, "
            f"its data in memory exists={in_memory.exists()}"
        )
        assert postgres_processes(str(folder)) == []
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stdout.close()
        if folder is not None and folder.exists():  # the watchdog failed: do not leave a server behind
            postgres.stop_folder(folder, immediate=True)


def test_orphans_are_folders_whose_owner_is_gone():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = postgres.run_root() / f"pg-{dead.pid}-kittest"
    folder.mkdir()
    (folder / "owner.pid").write_text(str(dead.pid))
    try:
        assert folder in postgres.orphans()
        assert postgres.reap_orphans() >= 1
        assert not folder.exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_data_in_memory_whose_folder_on_disk_is_gone_is_swept():
    """A state folder deleted by hand (or a machine that lost power) leaves data in tmpfs that
    no watchdog will delete: the next server start sweeps it; data whose folder is there stays."""
    owners = postgres.run_root()
    gone, kept = owners / f"pg-{os.getpid()}-kitgone", owners / f"pg-{os.getpid()}-kitkept"
    kept.mkdir()
    try:
        for folder in (gone, kept):
            folder.mkdir(exist_ok=True)
            (ram_disk.link_data(folder) / "PG_VERSION").write_text("16\n")
        gone_data = (gone / "data").resolve()
        shutil.rmtree(gone)  # the link goes, its target stays
        assert gone_data.exists()
        assert ram_disk.sweep() >= 1
        assert not gone_data.exists() and (kept / "data" / "PG_VERSION").exists()
    finally:
        ram_disk.remove(kept)
        ram_disk.remove(gone)


def test_without_room_in_memory_the_data_stays_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(ram_disk, "MIN_FREE", 2**62)  # a Docker container's 64 MB /dev/shm
    data = ram_disk.link_data(tmp_path)
    assert data.is_dir() and not data.is_symlink()
    monkeypatch.setattr(ram_disk, "MIN_FREE", 0)
    monkeypatch.setenv(ram_disk.OFF, "1")
    assert not ram_disk.has_room()


def test_a_folder_being_created_is_not_an_orphan():
    """Servers start side by side (a class's grading slots): one's reap must not delete the
    folder another has made but not yet marked with its owner.pid."""
    folder = postgres.run_root() / f"pg-{os.getpid()}-kittest"
    (folder / "data").mkdir(parents=True)
    try:
        assert folder not in postgres.orphans()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(60)
def test_servers_started_side_by_side_all_start():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as pool:
        servers = list(pool.map(lambda _: postgres.start_embedded(), range(3)))
    try:
        assert all(server.healthy() for server in servers)
    finally:
        for server in servers:
            server.stop()


def test_labkit_pg_dsn_comes_first(server, monkeypatch):
    monkeypatch.setenv("LABKIT_PG_DSN", server.dsn())
    before = my_folders()
    chosen = postgres.start()
    assert chosen.mode == "dsn"
    assert (chosen.host, chosen.port, chosen.user) == ("127.0.0.1", server.port, "postgres")
    assert my_folders() == before  # no new embedded server
    chosen.stop()  # the server is someone else's: stopping does nothing
    assert server.healthy()


def test_a_dsn_that_is_not_postgres_is_refused(monkeypatch):
    monkeypatch.setenv("LABKIT_PG_DSN", "mysql://root@localhost/db")
    with pytest.raises(ValueError, match="LABKIT_PG_DSN must look like postgresql://"):
        postgres.start()


def test_attach_reaches_a_server_another_process_owns(server):
    attached = postgres.attach(server.dsn())
    assert attached.mode == "attached" and attached.healthy()
    attached.stop()
    assert server.healthy()


def test_docker_available_answers_false_quickly_without_a_daemon():
    started = time.monotonic()
    assert postgres.docker_available() is False
    assert time.monotonic() - started < 3

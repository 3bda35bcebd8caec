"""labkit.grading.templates: a lab's source database is built once per server, then copied."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import psycopg2
import pytest

from labkit.grading import templates
from labkit.services import postgres
from tests.kit.helpers import wait_until


@pytest.fixture(scope="module")
def server():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LABKIT_PG_DSN", raising=False)
        started = postgres.start()
    yield started
    started.stop()


def databases(server) -> set[str]:
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database")
        names = {row[0] for row in cur.fetchall()}
    conn.close()
    return names


def one_table(conn):
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS n")


def test_a_template_is_built_once_copied_by_each_test_and_refuses_connections(server):
    builds = []

    def build(conn):
        builds.append(1)
        one_table(conn)

    assert templates.shared(server, "kit_once", build) == "kit_once"
    assert templates.shared(server, "kit_once", build) == "kit_once"  # a later run finds it
    assert len(builds) == 1
    with pytest.raises(psycopg2.OperationalError, match="not currently accepting connections"):
        server.connect("kit_once")  # a test's code cannot change what every later test copies
    server.create_database("kit_copy", template="kit_once")
    with server.connect("kit_copy") as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone() == (1000,)
    conn.close()
    server.drop_database("kit_copy")
    assert "kit_once" + templates.BUILDING not in databases(server)


def test_runs_that_start_at_once_build_it_once(server):
    builds = []
    release = threading.Event()

    def slow_build(conn):
        builds.append(1)
        release.wait(30)
        one_table(conn)

    threads = [threading.Thread(target=templates.shared, args=(server, "kit_race", slow_build)) for _ in range(3)]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: builds, timeout=30)
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(builds) == 1 and templates.ready(server, "kit_race")


def _build_forever(dsn_admin: str, started) -> None:
    server = postgres.attach(dsn_admin)

    def hang(conn):
        one_table(conn)
        started.set()
        signal.pause()

    templates.shared(server, "kit_killed", hang)


def test_a_build_killed_halfway_leaves_nothing_that_looks_finished(server):
    started = multiprocessing.get_context("fork").Event()
    builder = multiprocessing.get_context("fork").Process(target=_build_forever, args=(server.dsn(), started))
    builder.start()
    assert started.wait(30)
    os.kill(builder.pid, signal.SIGKILL)
    builder.join(10)
    assert not templates.ready(server, "kit_killed")  # its half-built copy is not the template
    templates.shared(server, "kit_killed", one_table)  # the next run builds it (the lock died with the builder)
    assert templates.ready(server, "kit_killed")
    assert "kit_killed" + templates.BUILDING not in databases(server)


def test_the_fingerprint_follows_the_source():
    import labkit.data
    from labkit.data import nps

    assert templates.fingerprint(nps) == templates.fingerprint(nps)
    assert templates.fingerprint(nps) != templates.fingerprint(nps, labkit.data)
    assert len(templates.fingerprint(nps)) == 12

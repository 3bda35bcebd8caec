"""labkit.services.airflow_server: a real Airflow 3.3 with auth on, stopped cleanly, never left behind."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from labkit.grading import servers
from labkit.services import airflow_server
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import clean_env, exposed, listening_sockets, process_family, wait_until

# Starting an Airflow costs 10-20 s on two cores: more than the kit's default per-test limit.
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server():
    """API server and scheduler only: enough for auth, components and attach (~10 s)."""
    # A writer gives up on a locked database after 2 s, not 30: a refusal costs a test less.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LABKIT_SQLITE_LOCK_WAIT", "2")
        started = airflow_server.start(f"kit-{os.getpid()}", [], components=("api-server", "scheduler"))
    yield started
    started.stop(grace=2, remove=True)


def test_auth_is_on_with_two_users_and_their_roles(server):
    base = f"{server.url}/api/v2"
    assert httpx.get(f"{base}/dags", timeout=10).status_code == 401
    assert httpx.get(f"{base}/dags", auth=("monitor", server.passwords["monitor"]), timeout=10).status_code == 401  # no basic auth
    assert server.api("GET", "dags", user="monitor").status_code == 200
    # viewer is read-only; admin may write
    assert server.api("POST", "variables", user="monitor", json={"key": "k", "value": "v"}).status_code == 403
    assert server.api("POST", "variables", user="admin", json={"key": "k", "value": "v"}).status_code == 201
    wrong = httpx.post(f"{server.url}/auth/token", json={"username": "admin", "password": "nope"}, timeout=10)
    assert wrong.status_code == 401


def test_a_write_refused_while_the_scheduler_holds_the_database_is_tried_again(server, caplog):
    """A lesson's trigger lost a race with the scheduler on a busy machine: Airflow answered
    500 "Database error" and the notebook stopped. Here a real lock on the metadata DB
    refuses one write; the kit's call explains it in the log and succeeds once it is free."""
    import sqlite3
    import threading

    holder = sqlite3.connect(server.home.db_path, timeout=1, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # every writer waits its busy timeout, then fails
    api_log = server.home.path / "processes" / "api-server.log"
    seen = api_log.read_text(errors="replace").count("Error with id")

    def release_once_refused():
        wait_until(lambda: api_log.read_text(errors="replace").count("Error with id") > seen, timeout=60)
        holder.execute("COMMIT")

    releaser = threading.Thread(target=release_once_refused, daemon=True)
    releaser.start()
    with caplog.at_level("WARNING", logger="labkit.services.airflow_server"):
        response = server.api("POST", "variables", json={"key": "raced", "value": "v"})
    releaser.join(timeout=60)
    holder.close()
    assert response.status_code == 201, response.text
    assert "Airflow refused POST variables (500)" in caplog.text and "statement" in caplog.text


def test_passwords_are_generated_private_and_exported(server):
    assert len(set(server.passwords.values())) == 2 and all(len(p) >= 20 for p in server.passwords.values())
    for path in (server.state_file, server.home.path / "passwords.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    env = server.env()
    assert env["AIRFLOW_API_URL"] == server.url
    assert (env["AIRFLOW_API_USER"], env["AIRFLOW_API_PASSWORD"]) == ("monitor", server.passwords["monitor"])
    assert server.passwords["admin"] not in repr(server) and server.passwords["monitor"] not in repr(server)
    assert server.settings["AIRFLOW__API__BASE_URL"] == server.url  # tasks reach the Execution API here


def test_components_are_forked_from_one_import_that_then_goes_away(server):
    assert server._zygote is None  # closed once everything started
    parent = int(Path(f"/proc/{server.pids['api-server']}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert parent != os.getpid()  # forked by the zygote, not a subprocess of ours


def test_a_component_stops_for_real_and_starts_again(server):
    pid = server.pids["scheduler"]
    server.stop_component("scheduler")
    assert not server.is_running("scheduler") and not _group_alive(pid)
    assert server.health()["scheduler"]["status"] == "unhealthy"
    server.start_component("scheduler")
    server.wait_healthy(("scheduler",), timeout=90)
    assert server.is_running("scheduler")


def test_no_component_listens_beyond_loopback(server):
    """After the restart above the scheduler is a plain subprocess (before it, a zygote's fork).
    Airflow's log server binds every interface whatever the config says: it must not start."""
    def sockets():
        return listening_sockets(process_family(sessions=server.pids.values()))

    wait_until(lambda: exposed(sockets()), timeout=3, interval=0.3)  # a log server starts a moment late
    found = sockets()
    assert server.port in {port for *_, port in found}  # the scan sees the API server
    leaks = exposed(found)
    assert not leaks, "listening beyond 127.0.0.1:\n" + "\n".join(leaks)


def test_attached_servers_drive_but_never_stop_the_owners(server):
    attached = airflow_server.attach(server.state_file)
    assert (attached.url, attached.passwords) == (server.url, server.passwords)
    assert isinstance(attached, airflow_server.AttachedAirflowServer)
    assert set(attached.pids) == set(server.pids)
    attached.stop()
    assert server.is_running("api-server")


def test_the_owner_stops_components_an_attached_process_restarted(tmp_path):
    started = airflow_server.start(f"kit-restart-{os.getpid()}", [], components=("api-server", "triggerer"))
    try:
        attached = airflow_server.attach(started.state_file)
        attached.stop_component("triggerer")
        attached.start_component("triggerer")
        restarted = attached.pids["triggerer"]
    finally:
        started.stop(grace=2, remove=True)
    assert not _group_alive(restarted)
    assert not started.home.path.exists()


def test_no_airflow_process_outlives_a_killed_owner():
    """The owner dies without stopping anything (os._exit): the watchdog stops every component."""
    script = (
        "import json, os, sys\n"
        "from labkit.services import airflow_server\n"
        f"s = airflow_server.start('kit-orphan-{os.getpid()}', [], components=('api-server',))\n"
        "print(json.dumps(s.pids), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=clean_env(), capture_output=True, text=True, timeout=180)
    pids = json.loads(out.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 20
    while any(_group_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_group_alive(pid) for pid in pids.values()), "Airflow outlived its owner"


def test_tests_wait_for_the_runners_server_and_explain_a_failed_start(tmp_path, monkeypatch):
    folder = tmp_path / "lab4-grading-1-1"
    folder.mkdir()
    state = folder / airflow_server.STATE_FILE
    state.write_text(json.dumps({"home": str(folder), "dags_folder": str(folder / "dags"), "port": 1,
                                 "passwords": {}, "settings": {}, "pids": {}, "ready": False}))
    monkeypatch.setattr(servers, "ATTACH_TIMEOUT", 0.6)
    with pytest.raises(TimeoutError, match="not ready"):
        servers._attach(state)
    monkeypatch.setattr(servers, "ATTACH_TIMEOUT", 5)
    import threading

    threading.Timer(0.5, state.unlink).start()  # the runner's start failed and cleaned up
    with pytest.raises(RuntimeError, match="failed to start"):
        servers._attach(state)
    # A server lent already running (make lab's spare) whose owner died: no wait at all.
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="has stopped"):
        servers._attach(state, running=True)
    assert time.monotonic() - started < 0.5


def test_a_recipe_adds_the_graded_files_only_when_it_runs_them(monkeypatch):
    from labkit import labs

    given, student = Path("/dags/given.py"), Path("/labs/lab9/student.py")
    records = {**labs.LABS, "lab8": labs.Lab("lab8", services=(), graded_airflow=labs.LiveAirflow(dags=(given,))),
               "lab9": labs.Lab("lab9", services=(), graded_airflow=labs.LiveAirflow(dags=(given,), runs_target=True))}
    monkeypatch.setattr(labs, "LABS", records)
    assert records["lab8"].graded_airflow.dag_files([student]) == [given]
    assert records["lab9"].graded_airflow.dag_files([student]) == [given, student]
    assert servers.shareable("lab8") and not servers.shareable("lab9") and not servers.shareable("lab1")

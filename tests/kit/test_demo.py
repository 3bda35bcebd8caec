"""labkit.demo: the class demo's stack (state kept between runs, every reference DAG, auth on,
PostgreSQL metadata DB), the demo-run's plan, and a browser that logs into the UI."""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone

import httpx
import pytest

from labkit import stack as lab_stack
from labkit.demo import run as demo_run
from labkit.demo import stack as demo_stack
from labkit.demo.state import DemoBusy, DemoState, DemoStateLost
from labkit.paths import ROOT, state_dir
from labkit.services import postgres
from labkit.services._net import process_alive
from tests.kit.helpers import exposed, listening_sockets, postmaster_pid, process_family

# Starting the demo's Airflow costs 10-20 s on two cores.
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def kept_folder(request):
    """A folder PostgreSQL's own user can reach. Not under pytest's tmp_path: pytest makes
    /tmp/pytest-of-<user> private (0700) again whenever another pytest starts."""
    folder = postgres.run_root() / f"kit-{request.node.name[:40]}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# -- the plan and the state: no services ----------------------------------------------------
def test_demo_run_plan_covers_every_reference_dag():
    reference = demo_stack.reference_dag_files(lab_stack.default_dags(None))
    planned = [step.dag_id for step in demo_run.PLAN]
    assert sorted(planned) == sorted(reference), "a reference DAG is missing from (or extra in) demo_run.PLAN"
    assert len(planned) == len(set(planned)) == 15
    for step in demo_run.PLAN:  # prerequisites come earlier in the plan, and exist
        for other in (*step.after, *([step.started_by] if step.started_by else [])):
            assert planned.index(other) < planned.index(step.dag_id), (step.dag_id, other)


def test_demo_day_is_past_and_differs_every_minute():
    now = datetime(2026, 11, 21, 14, 7, 30, tzinfo=timezone.utc)
    day = demo_run.demo_day(now)
    assert day == datetime(2026, 11, 19, 14, 7, tzinfo=timezone.utc)
    assert demo_run.demo_day(now.replace(minute=8)) != day
    # the shifted runs (a day or two before, an hour after) are all in the past too
    assert all(day + step.shift < now for step in demo_run.PLAN)


def test_state_keeps_private_secrets_and_forgets_them_on_reset(tmp_path, monkeypatch):
    monkeypatch.setenv("LABKIT_DEMO_ADMIN_PASSWORD", "class-of-2026")
    state = DemoState(tmp_path / "demo")
    first = state.secrets()
    assert first["admin_password"] == "class-of-2026"
    assert state.secrets() == first and not state.first_run
    assert stat.S_IMODE((state.folder / "secrets.json").stat().st_mode) == 0o600
    (state.folder / "postgres").mkdir()
    state.reset()
    assert state.first_run and not (state.folder / "postgres").exists()
    monkeypatch.delenv("LABKIT_DEMO_ADMIN_PASSWORD")
    assert state.secrets()["fernet_key"] != first["fernet_key"]


def test_lost_secrets_next_to_kept_data_say_how_to_start_over(tmp_path):
    state = DemoState(tmp_path)
    state.secrets()
    (state.postgres_folder / "data").mkdir(parents=True)
    (state.postgres_folder / "data" / "PG_VERSION").write_text("16\n")
    (state.folder / "secrets.json").unlink()
    with pytest.raises(DemoStateLost, match="make demo RESET=1"):
        demo_stack.start(state, log=lambda line: None)
    state.lock()  # start let go of the folder
    state.unlock()
    state.reset()
    assert state.secrets()["admin_password"]


def test_a_second_demo_on_the_same_state_is_refused(tmp_path):
    state, other = DemoState(tmp_path), DemoState(tmp_path)
    state.lock()
    try:
        with pytest.raises(DemoBusy, match=f"pid {os.getpid()}"):
            other.lock()
        with pytest.raises(DemoBusy):
            other.reset()
    finally:
        state.unlock()
    other.lock()  # free again
    other.unlock()


def test_kept_postgres_outlives_its_owner_even_a_killed_one(kept_folder):
    """The demo's PostgreSQL keeps its data across stops; a SIGKILLed owner's server is
    stopped by the watchdog, and its data is still there for the next start."""
    folder = kept_folder
    server = postgres.start_embedded(folder=folder, password="first-password")
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE kept AS SELECT 42 AS answer")
    conn.close()
    server.stop()
    assert (folder / "data" / "PG_VERSION").exists()

    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from labkit.services import postgres
        server = postgres.start_embedded(folder=Path({str(folder)!r}), password="first-password")
        print(server.port, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    port = int(owner.stdout.readline())
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while (folder / "data" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (folder / "data" / "postmaster.pid").exists(), "the watchdog did not stop the orphaned server"
    assert not postgres.PostgresServer("127.0.0.1", port, password="first-password").healthy()

    again = postgres.start_embedded(folder=folder, password="first-password")
    try:
        with again.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT answer FROM kept")
            assert cur.fetchone() == (42,)
        conn.close()
    finally:
        again.stop()


# -- a running demo ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_state():
    state = DemoState(postgres.run_root() / f"kit-demo-{os.getpid()}")
    yield state
    shutil.rmtree(state.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def demo(demo_state):
    started = demo_stack.start(demo_state, port=None, log=lambda line: None)
    yield started
    started.stop()


def test_demo_serves_every_reference_dag_with_auth_on(demo):
    expected = set(demo_stack.reference_dag_files(lab_stack.default_dags(None)))
    assert httpx.get(f"{demo.url}/api/v2/dags", timeout=10).status_code == 401
    listed = {d["dag_id"] for d in demo.server.api("GET", "dags", params={"limit": 100}).json()["dags"]}
    assert listed == expected | {"demo_alert_drill"}
    assert demo.server.api("GET", "importErrors").json()["total_entries"] == 0
    health = demo.server.health()
    assert {health[c]["status"] for c in ("metadatabase", "scheduler", "dag_processor", "triggerer")} == {"healthy"}
    # the metadata DB is the demo's PostgreSQL database, not a SQLite file
    with demo.postgres.connect(demo_stack.METADATA_DB) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM dag")
        assert cur.fetchone()[0] == len(expected) + 1
    conn.close()
    assert demo.server.settings["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert demo.server.settings["AIRFLOW__CORE__FERNET_KEY"] == demo.state.secrets()["fernet_key"]


def test_banner_says_where_and_how_without_other_secrets(demo):
    banner = demo.banner()
    assert demo.url in banner and f"admin / {demo.admin_password}" in banner
    assert "Ctrl-C" in banner and "docs/demo.md" in banner
    for secret in ("fernet_key", "jwt_secret", "api_secret_key", "postgres_password"):
        assert demo.state.secrets()[secret] not in banner, secret
    assert 300 < demo.memory_mb() < 2500  # PostgreSQL + four Airflow components + fakes


def test_every_socket_of_the_demo_listens_on_loopback_only(demo):
    """A class demo runs on a laptop in a classroom's network: nothing it starts may answer
    from outside. This process holds the fakes and S3; Airflow's components run in sessions
    of their own; PostgreSQL is a daemon."""
    roots = {os.getpid()}
    if demo.postgres.data_dir is not None:
        roots.add(postmaster_pid(demo.postgres.data_dir))
    found = listening_sockets(process_family(roots=roots, sessions=demo.server.pids.values()))
    assert {demo.server.port, demo.postgres.port} <= {port for *_, port in found}  # the scan sees the demo
    leaks = exposed(found)
    assert not leaks, "listening beyond 127.0.0.1:\n" + "\n".join(leaks)


def test_browser_logs_in_and_sees_every_reference_dag(demo):
    from tests.kit.browser import chromium_or_skip, dag_list_after_login

    browser = chromium_or_skip()
    shot = state_dir() / "screenshots" / "demo-dags.png"
    expected = set(demo.dag_files)
    seen = dag_list_after_login(browser, demo.url, "admin", demo.admin_password, screenshot=shot, expect=expected)
    assert expected <= seen, f"the UI's DAG list lacks {sorted(expected - seen)}"
    assert shot.stat().st_size > 10_000  # a real picture of the page, not an empty file


def test_demo_run_names_the_failed_task_and_its_error_and_skips_what_needed_it(demo):
    """The drill of a demo with no backup yet fails for real: the table says which task and why."""
    plan = (demo_run.Step("lab6_restore_drill"),
            demo_run.Step("lab3_sql_to_sheet", after=("lab6_restore_drill",)))
    outcomes = demo_run.run_plan(demo.server, plan, timeout=120, log=lambda line: None)
    drill, sheet = outcomes
    assert drill.state == "failed" and drill.seconds is not None
    assert drill.note.startswith("failed: drill — BackupError: no backup under s3://airflow-backups/"), drill.note
    assert (sheet.state, sheet.note) == ("skipped", "lab6_restore_drill did not succeed")
    assert "0/2 DAGs succeeded" in demo_run.table(outcomes)
    assert demo.server.api("GET", "dags/lab6_restore_drill").json()["is_paused"]  # paused again, as found


def test_alert_drill_fails_on_request_and_slack_hears_the_retry_and_the_failure(demo):
    """The "break it on purpose" DAG, run by the demo's scheduler: lab 3's callbacks post to
    the Slack fake the demo wired in as the connection slack_alerts."""
    demo.services.slack.clear()
    plan = (demo_run.Step("demo_alert_drill", conf={"fail": True}),)
    drill, = demo_run.run_plan(demo.server, plan, timeout=120, log=lambda line: None)
    assert drill.state == "failed" and "ConnectionError: partner feed answered 503" in drill.note, drill.note
    messages = demo.services.slack.messages()
    assert len(messages) == 2, messages
    assert all("demo_alert_drill" in m and "load_partner_feed" in m for m in messages)
    assert "503" in messages[-1]


def test_second_demo_starts_from_the_first_ones_state(demo, demo_state):
    """Stop, start again: same logins, the metadata DB and the warehouse kept."""
    demo.server.api("POST", "variables", json={"key": "kept_between_demos", "value": "yes"})
    demo.stop()
    pids = list(demo.server.pids.values())
    assert not any(process_alive(pid) for pid in pids)
    lines: list[str] = []
    again = demo_stack.start(demo_state, port=None, log=lines.append)
    try:
        assert not any("first demo" in line for line in lines), lines  # no migration, no reload
        token = httpx.post(f"{again.url}/auth/token", json={"username": "admin", "password": demo.admin_password}, timeout=10)
        assert token.status_code == 201
        assert again.server.api("GET", "variables/kept_between_demos").json()["value"] == "yes"
    finally:
        again.stop()
    leftovers = subprocess.run(["pgrep", "-f", str(demo_state.folder)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], "a demo process outlived the demo"


def test_secrets_missing_a_key_next_to_kept_data_say_how_to_start_over(tmp_path):
    """A secrets.json that parses but lacks the PostgreSQL password used to get a new one
    silently, beside the database the old one opens: the demo failed later, at login."""
    state = DemoState(tmp_path)
    first = state.secrets()
    (state.postgres_folder / "data").mkdir(parents=True)
    (state.postgres_folder / "data" / "PG_VERSION").write_text("16\n")
    kept = {k: v for k, v in first.items() if k not in ("postgres_password", "fernet_key")}
    (state.folder / "secrets.json").write_text(json.dumps(kept))
    with pytest.raises(DemoStateLost, match=r"lacks fernet_key, postgres_password.*make demo RESET=1"):
        state.secrets()
    assert json.loads((state.folder / "secrets.json").read_text()) == kept, "nothing may be written over it"


def test_secrets_are_private_even_over_a_stale_world_readable_temporary_file(tmp_path):
    state = DemoState(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    for stale in (tmp_path / "secrets.tmp", tmp_path / f".secrets.json.{os.getpid()}.{threading.get_ident()}.tmp"):
        stale.write_text("{}")
        stale.chmod(0o644)
    state.secrets()
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600

"""What the kit's running services show to the network and to callers without rights.

Sockets: every socket a lesson's stack (labkit.stack, which `make lab` and the notebooks
use) or a grading run with a live Airflow opens listens on 127.0.0.1 or ::1, never on all
interfaces; the class demo's is checked in test_demo.py, a lone server's in
test_airflow_server.py. The API: every endpoint the live Airflow serves, called without a
login, refuses (but the few public ones listed below, each with why), and every write,
called as the read-only `monitor` user, refuses and changes nothing. JupyterLab's token
is checked in test_student_loop.py (test_the_jupyter_server_refuses_requests_without_its_token).
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
import yaml

from labkit import stack
from labkit.paths import ROOT
from tests.kit.helpers import clean_env, exposed, listening_sockets, postmaster_pid, process_family, wait_until

# The lesson's Airflow takes 10-20 s to start on two cores; the grading run ~20-40 s.
pytestmark = pytest.mark.timeout(300)

WRITES = ("POST", "PUT", "PATCH", "DELETE")


# -- a grading run ---------------------------------------------------------------------------
# First, before this module's lesson stack starts: two Airflows at once on two cores is slow.
GRADE = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from labkit.grading import runner

    # Part 5 (the monitor): the Slack fake, and a scheduler stopped and started again (by the
    # runner, as a plain subprocess) besides the components forked at start.
    outcome = runner.grade("lab4", "reference", results=Path(sys.argv[1]), show=False,
                           select=["test_5_monitor.py"], name="lab4-part-monitor")
    print("SCORE", outcome.result.full_marks)
""")


def _airflow_servers(pids: set[int]) -> dict[str, dict]:
    """The live Airflows these processes were handed (LABKIT_AIRFLOW_SERVER, a state file
    naming the server's port and its components, each in a session of its own)."""
    found = {}
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in environ:
            if entry.startswith(b"LABKIT_AIRFLOW_SERVER="):
                state = Path(entry.split(b"=", 1)[1].decode())
                try:
                    found[str(state)] = json.loads(state.read_text())
                except (OSError, ValueError):  # not written yet, or gone
                    pass
    return found


def test_a_grading_run_with_a_live_airflow_listens_on_loopback_only(tmp_path):
    """`labkit test lab4 --target reference --part monitor`, watched from outside while it
    runs: the runner, its tests, and the Airflow it starts for them."""
    run = subprocess.Popen([sys.executable, "-c", GRADE, str(tmp_path)], cwd=ROOT, env=clean_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[tuple[int, str, str, str, int]] = []
    servers: dict[str, dict] = {}
    deadline = time.monotonic() + 240
    try:
        while run.poll() is None and time.monotonic() < deadline:
            family = process_family(roots={run.pid})
            servers.update(_airflow_servers(family))
            sessions = {pid for state in servers.values() for pid in state.get("pids", {}).values()}
            seen.extend(listening_sockets(family | process_family(sessions=sessions)))
            time.sleep(0.3)
    finally:
        if run.poll() is None:
            run.kill()
        output = run.communicate()[0]
    assert run.returncode in (0, 1), output[-3000:]  # it graded (0: full marks), not crashed
    ports = {state["port"] for state in servers.values()}
    assert ports and ports <= {port for *_, port in seen}, (  # the scan saw the run's Airflow
        f"no Airflow API server seen: servers {ports}, sockets {sorted(set(seen))}\n{output[-2000:]}")
    leaks = exposed(seen)
    assert not leaks, "listening beyond 127.0.0.1:\n" + "\n".join(leaks)


# -- a lesson's stack ------------------------------------------------------------------------
# A DAG with a schedule, beside lab 4's: a backfill needs one (and the backfill's own
# endpoints need a backfill to exist before they get as far as asking who calls).
DAILY = textwrap.dedent("""\
    import pendulum
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    with DAG("exposure_daily", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
        EmptyOperator(task_id="noop")
""")


# A task that runs until the test lets it finish (a file appears), to read its log while it
# runs (logged as a warning: a lesson's Airflow logs WARNING and up).
SLEEPER = textwrap.dedent("""\
    import logging
    import os
    import time

    import pendulum
    from airflow.sdk import DAG, task

    DONE = {done!r}
    with DAG("exposure_sleeper", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
        @task
        def wait():
            logging.getLogger("exposure").warning("exposure: started, waiting")
            deadline = time.monotonic() + 90
            while not os.path.exists(DONE) and time.monotonic() < deadline:
                time.sleep(0.2)

        wait()
""")


@pytest.fixture(scope="module")
def dag_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dags")
    (folder / "exposure_daily.py").write_text(DAILY)
    (folder / "exposure_sleeper.py").write_text(SLEEPER.replace("{done!r}", repr(str(folder / "sleeper.done"))))
    return folder


@pytest.fixture(scope="module")
def lesson(dag_folder):
    """A lesson's stack with every service and a live Airflow (lab 4's DAGs and the two above),
    as `stack.start` gives a notebook: services in this process, Airflow's components forked."""
    services = stack.start(
        "lab4", services=("postgres", "s3", "weather_api", "slack", "sheets", "airflow_server"),
        airflow_name=f"kit-exposure-{os.getpid()}", export=False,
        dags=[*stack.default_dags("lab4"), dag_folder / "exposure_daily.py", dag_folder / "exposure_sleeper.py"],
    )
    try:
        services.airflow_server.wait_for_dags({"exposure_daily", "exposure_sleeper", "lab4_triggered_report"},
                                               timeout=90)
        yield services
    finally:
        services.stop()


def test_a_lesson_stack_listens_on_loopback_only(lesson):
    server = lesson.airflow_server
    roots = {os.getpid()}  # the fakes, S3 and the weather API run in this process
    if lesson.postgres.data_dir is not None:
        roots.add(postmaster_pid(lesson.postgres.data_dir))

    def sockets():
        return listening_sockets(process_family(roots=roots, sessions=server.pids.values()))

    # A log server starts a moment after its scheduler: look for a few seconds.
    wait_until(lambda: exposed(sockets()), timeout=3, interval=0.3)
    found = sockets()
    ports = {port for *_, port in found}
    assert server.port in ports and lesson.postgres.port in ports  # the scan sees the stack
    leaks = exposed(found)
    assert not leaks, "listening beyond 127.0.0.1:\n" + "\n".join(leaks)


def test_a_running_tasks_log_reads_through_the_api_without_a_log_server(lesson, dag_folder):
    """No log server runs (it would listen on every interface): the API server reads a running
    task's log from the local file, as the UI shows it."""
    server = lesson.airflow_server
    assert server.api("PATCH", "dags/exposure_sleeper", params={"update_mask": "is_paused"},
                      json={"is_paused": False}).status_code == 200
    run = server.api("POST", "dags/exposure_sleeper/dagRuns", json={"logical_date": None}).json()["dag_run_id"]
    path = f"dags/exposure_sleeper/dagRuns/{run}/taskInstances/wait"

    def log_lines() -> list[str]:
        answer = server.api("GET", f"{path}/logs/1")
        if answer.status_code != 200:
            return []
        return [e.get("event", "") if isinstance(e, dict) else str(e) for e in answer.json().get("content", [])]

    try:
        assert wait_until(lambda: any("exposure: started" in line for line in log_lines()), timeout=90, interval=1), (
            f"no log line while running: {log_lines()[-10:]}")
        assert server.api("GET", path).json()["state"] == "running"
    finally:
        (dag_folder / "sleeper.done").touch()  # the task ends; the server then stops at once
        wait_until(lambda: server.api("GET", path).json().get("state") not in ("running", "queued", "scheduled"),
                   timeout=30)


# -- the API: who may call what ------------------------------------------------------------
# Answered to anyone, with the answer expected to the request this test makes (placeholder
# path parameters, an empty JSON body). Everything else must answer 401 or 403 without a login.
PUBLIC = {
    # Health probes (lab 4's monitor, a load balancer) ask without a login; it says which
    # components are healthy and when they last beat, nothing about DAGs or data.
    ("GET", "/api/v2/monitor/health"): 200,
    # The version string; what `airflow version` prints.
    ("GET", "/api/v2/version"): 200,
    # The way in and out: redirects to the login page and back.
    ("GET", "/api/v2/auth/login"): 307,
    ("GET", "/api/v2/auth/logout"): 307,
    # Logging in is what one does without a login: a password buys a token (an empty body is
    # refused as incomplete).
    ("POST", "/auth/token"): 422,
    ("POST", "/auth/token/cli"): 422,
    # The Execution API's liveness probes (task runners and the deployment ask); every other
    # Execution API call needs a task's own token.
    ("GET", "/execution/health"): 200,
    ("GET", "/execution/health/ping"): 200,
}
# Writes (and Execution API calls) the read-only user may make, each with what it may answer:
MONITOR_MAY = {
    # Reads sent as POST: the body is a filter (several DAGs' runs or tasks at once).
    ("POST", "/api/v2/dags/{dag_id}/dagRuns/list"): {200},
    ("POST", "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/list"): {200},
    # A bookmark of the user's own (the star in the DAG list): needs only the right to read
    # the DAG, changes nothing anyone else sees. 409: unfavorite of what was not a favorite.
    ("POST", "/api/v2/dags/{dag_id}/favorite"): {204, 409},
    ("POST", "/api/v2/dags/{dag_id}/unfavorite"): {204, 409},
    # The UI exchanges a logged-in user's token for a fresh one of the same user and role
    # (checked below: the new token's role is still viewer).
    ("POST", "/ui/auth/token"): {200},
    # Logging in (as anyone: these take a user name and password, not the caller's token).
    ("POST", "/auth/token"): {422},
    ("POST", "/auth/token/cli"): {422},
    # The Execution API's liveness probes, public (see PUBLIC).
    ("GET", "/execution/health"): {200},
    ("GET", "/execution/health/ping"): {200},
}
# Writes whose permission check reads the body (bulk actions name what they do in it), or
# whose body is validated before the check: with an empty body they answer 422 without
# asking who calls, which proves nothing. A minimal valid body that would change state if
# the check let it through (the "nothing changed" snapshot catches that); {dag_run_id} is
# the real run of exposure_daily.
BODIES = {
    ("PATCH", "/api/v2/connections"): {"actions": [{"action": "create", "entities": [
        {"connection_id": "exposure_made", "conn_type": "http"}]}]},
    ("PATCH", "/api/v2/pools"): {"actions": [{"action": "create", "entities": [{"name": "exposure_made", "slots": 1}]}]},
    ("PATCH", "/api/v2/variables"): {"actions": [{"action": "create", "entities": [{"key": "exposure_made", "value": "v"}]}]},
    ("PATCH", "/api/v2/dags/{dag_id}/dagRuns"): {"actions": [{"action": "delete", "entities": ["{dag_run_id}"]}]},
    ("POST", "/api/v2/dags/{dag_id}/clearDagRuns"): {"dag_runs": [{"dag_run_id": "{dag_run_id}"}], "dry_run": False},
    ("POST", "/api/v2/connections/enqueue-test"): {"connection_id": "exposure_made", "conn_type": "http"},
}


def _ui_spec() -> dict:
    """The UI's own endpoints (/ui/…): left out of /openapi.json, shipped beside it in the package."""
    airflow_dir = Path(importlib.util.find_spec("airflow").submodule_search_locations[0])
    return yaml.safe_load((airflow_dir / "api_fastapi" / "core_api" / "openapi" / "_private_ui.yaml").read_text())


@pytest.fixture(scope="module")
def endpoints(lesson):
    """(method, path template, parameters) of every operation the server documents: the public
    API (/openapi.json, itself public), the UI's, the auth manager's and the Execution API's."""
    url = lesson.airflow_server.url
    version = httpx.get(f"{url}/execution/health", timeout=10).headers["airflow-api-version"]
    specs = (
        ("", httpx.get(f"{url}/openapi.json", timeout=30).json()),
        ("", _ui_spec()),
        ("/auth", httpx.get(f"{url}/auth/openapi.json", timeout=10).json()),
        ("/execution", httpx.get(f"{url}/execution/openapi.json", params={"version": version}, timeout=30).json()),
    )
    found = []
    for prefix, spec in specs:
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if method.upper() in ("GET", *WRITES):
                    params = [*item.get("parameters", []), *operation.get("parameters", [])]
                    found.append((method.upper(), prefix + path, params))
    assert len(found) > 200, len(found)  # ~130 public, ~25 UI, ~55 Execution API
    return found


@pytest.fixture(scope="module")
def real(lesson):
    """Path values that name things that exist, for the endpoints that look their subject
    up before they ask who calls (a backfill's DAG, a DAG file's token)."""
    server = lesson.airflow_server
    backfill = server.api("POST", "backfills", json={
        "dag_id": "exposure_daily", "from_date": "2024-01-01T00:00:00Z", "to_date": "2024-01-01T00:00:00Z",
        "max_active_runs": 1})
    assert backfill.status_code == 200, backfill.text
    details = server.api("GET", "dags/exposure_daily/details", user="monitor").json()
    run = server.api("GET", "dags/exposure_daily/dagRuns", user="monitor").json()["dag_runs"][0]  # the backfill's
    return {"dag_id": "exposure_daily", "dag_run_id": run["dag_run_id"], "task_id": "noop",
            "backfill_id": str(backfill.json()["id"]), "file_token": details["file_token"]}


def _fill(path: str, params: list[dict], real: dict[str, str]) -> str:
    """The path with its parameters filled: the only value a parameter allows (dagRuns/list's
    `~`), a real value where one is known, 1 for a number, else x."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        schema = next((p.get("schema", {}) for p in params if p.get("name") == name and p.get("in") == "path"), {})
        if "const" in schema or schema.get("enum"):
            return str(schema.get("const", (schema.get("enum") or [""])[0]))
        if name in real:
            return real[name]
        types = {schema.get("type"), *(option.get("type") for option in schema.get("anyOf", []))}
        return "1" if "integer" in types else "x"

    return re.sub(r"\{(\w+)\}", value, path)


def _call(client: httpx.Client, method: str, path: str, body: object = None, token: str | None = None) -> httpx.Response:
    """One request: anonymous without `token`; writes that take a body get `body`, else {}."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, path, json={} if body is None else body, headers=headers)
    return client.request(method, path, headers=headers)


def test_only_the_public_endpoints_answer_without_a_login(lesson, endpoints, real):
    """Every documented path and method, called with no login: 401 or 403, but PUBLIC's."""
    refused = {}
    public = {}
    with httpx.Client(base_url=lesson.airflow_server.url, timeout=30, follow_redirects=False) as client:
        for method, path, params in endpoints:
            answer = _call(client, method, _fill(path, params, real))
            if (method, path) in PUBLIC:
                public[(method, path)] = answer.status_code
            elif answer.status_code not in (401, 403):
                refused[f"{method} {path}"] = f"{answer.status_code} {answer.text[:120]}"
    assert refused == {}, "answered without a login:\n" + "\n".join(f"{k}: {v}" for k, v in refused.items())
    assert public == PUBLIC  # each public endpoint exists and answers as its reason says


def _state(server) -> dict:
    """What the writes could change, read as admin."""
    def listing(path: str, key: str, fields: tuple[str, ...], **params) -> list:
        rows = server.api("GET", path, params={"limit": 100, **params}).json()[key]
        return sorted(tuple(row.get(f) for f in fields) for row in rows)

    return {
        "dags": listing("dags", "dags", ("dag_id", "is_paused")),
        "variables": listing("variables", "variables", ("key", "value")),
        "connections": listing("connections", "connections", ("connection_id", "conn_type", "host")),
        "pools": listing("pools", "pools", ("name", "slots")),
        "backfills": listing("backfills", "backfills", ("id", "is_paused"), dag_id="exposure_daily"),
        "dag runs": server.api("GET", "dags/~/dagRuns", params={"limit": 1}).json()["total_entries"],
        "assets": server.api("GET", "assets", params={"limit": 1}).json()["total_entries"],
    }


def _role(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["role"]


def test_the_read_only_user_can_write_nothing(lesson, endpoints, real):
    """Every POST, PUT, PATCH and DELETE, and every Execution API call, as `monitor` (role
    viewer): 401 or 403 (but MONITOR_MAY's), a 422 retried with a body the check cannot skip,
    and nothing changed."""
    server = lesson.airflow_server
    token = server.token("monitor")
    before = _state(server)
    wrong = {}
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        for method, path, params in endpoints:
            # Writes; and every Execution API call, reads too (it hands tasks connections'
            # passwords): a user's token is not a task's.
            if method not in WRITES and not path.startswith("/execution/"):
                continue
            target = _fill(path, params, real)
            answer = _call(client, method, target, token=token)
            if answer.status_code == 422 and (method, path) in BODIES:
                body = json.loads(json.dumps(BODIES[(method, path)]).replace("{dag_run_id}", real["dag_run_id"]))
                answer = _call(client, method, target, body, token=token)
            allowed = MONITOR_MAY.get((method, path), {401, 403})
            if answer.status_code not in allowed:
                hint = " (validated before the permission check: give it a body in BODIES)" if answer.status_code == 422 else ""
                wrong[f"{method} {path}"] = f"{answer.status_code} {answer.text[:120]}{hint}"
            elif (method, path) == ("POST", "/ui/auth/token") and _role(answer.json()["access_token"]) != "viewer":
                wrong[f"{method} {path}"] = f"a token of role {_role(answer.json()['access_token'])}"
    assert wrong == {}, "the read-only user got:\n" + "\n".join(f"{k}: {v}" for k, v in wrong.items())
    assert _state(server) == before

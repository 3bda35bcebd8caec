"""A real local Airflow 3.3 on 127.0.0.1: API server, scheduler, DAG processor, triggerer.

    server = airflow_server.start("lab4", dags=[...])
    server.url                      # http://127.0.0.1:PORT (also AIRFLOW__API__BASE_URL)
    server.env()                    # AIRFLOW_API_URL / _USER / _PASSWORD for a client
    server.stop_component("scheduler")
    server.stop()

Auth is on (Airflow 3's SimpleAuthManager) with two users: `admin` (role admin) and
`monitor` (role viewer, read-only). Their passwords are generated for every server and
reach clients through the environment only: nothing to commit, nothing to leak.

The components are forked from one process that imported Airflow once
(`_airflow_zygote.py`): healthy in ~9 s instead of ~15 s on two cores, and they share
memory pages. A component started later (a restarted scheduler) is a plain subprocess.

Every socket is on 127.0.0.1: the scheduler and triggerer run without their log servers,
which would listen on every interface (the API server reads task logs from the files).

Every component runs in its own process group, so stopping one also stops what it forked
(LocalExecutor workers). A watchdog stops them all if the process that started them dies,
so no Airflow process outlives a grading run, even a killed one.

Another process may drive a running server with `attach(state_file)`: it asks the owner
to stop or start components (through files in the home's control/ folder, which works from
a grading sandbox too). `labkit verify` starts one server and grades every variant on it.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from labkit.private_files import write_private
from labkit.services import airflow
from labkit.services._net import free_port, process_alive

if TYPE_CHECKING:
    import httpx

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
CELERY_WORKER = "celery-worker:"  # + a queue name: see celery_worker()
WORKER_NAME = "LABKIT_WORKER_NAME"
WORKER_HOSTNAME = "labkit.services.airflow_server.worker_hostname"
# What /api/v2/monitor/health calls each component.
HEALTH_NAMES = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}
USERS = {"admin": "admin", "monitor": "viewer"}
STATE_FILE = "server.json"
STOP_GRACE = 15.0
# A write that lost a race for the metadata DB (SQLite "database is locked" as 503, or the
# 500 "Database error" Airflow answers for any other SQLAlchemy error, such as a SQLite
# snapshot conflict or a PostgreSQL deadlock) is tried again this long: it was rolled back.
LOCKED_RETRY_S = 20.0
ERROR_ID = re.compile(r"look for ID (\w+)")

log = logging.getLogger(__name__)
# Fork the components from one process that imported Airflow once (~8 s to healthy instead
# of ~15 s on two cores). Linux only: forking after imports is unsafe on macOS.
USE_ZYGOTE = sys.platform == "linux" and os.environ.get("LABKIT_AIRFLOW_ZYGOTE", "1") != "0"
# `python -m airflow`, after `import labkit` (it declines a slow optional import: labkit/__init__.py).
AIRFLOW_MAIN = "import labkit, runpy; runpy.run_module('airflow', run_name='__main__', alter_sys=True)"


@dataclass
class AirflowServer:
    home: airflow.AirflowHome
    port: int
    passwords: dict[str, str] = field(repr=False)
    settings: dict[str, str] = field(repr=False)  # AIRFLOW__* every component gets
    pids: dict[str, int] = field(default_factory=dict)
    keep_home: bool = False  # the class demo's home outlives its server (a watchdog must not delete it)
    ready: bool = False  # every component started and healthy (attached processes wait for it)
    # The user a jailed grading child runs as (root grader: nobody): it reads the state file
    # and drops requests in control/, both of which are otherwise the owner's alone.
    reader: int | None = None
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _zygote: subprocess.Popen[str] | None = field(default=None, repr=False)  # forks components while starting
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)
    _requests_stop: threading.Event | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.home.path / STATE_FILE

    def env(self) -> dict[str, str]:
        """What a client needs: the read-only `monitor` login, and the admin one for the kit."""
        return {
            "AIRFLOW_API_URL": self.url,
            "AIRFLOW_API_USER": "monitor",
            "AIRFLOW_API_PASSWORD": self.passwords["monitor"],
            "LABKIT_AIRFLOW_ADMIN_USER": "admin",
            "LABKIT_AIRFLOW_ADMIN_PASSWORD": self.passwords["admin"],
            "LABKIT_AIRFLOW_SERVER": str(self.state_file),
        }

    # -- components -------------------------------------------------------------------
    def process_env(self) -> dict[str, str]:
        return {**os.environ, **self.home.env(), **self.settings}

    def start_component(self, name: str) -> None:
        if self.is_running(name):
            return
        logs = self.home.path / "processes"
        logs.mkdir(exist_ok=True)
        pid = self._fork(name, logs / f"{name}.log")
        if pid is not None:
            self.pids[name] = pid
            self._save()
            return
        with open(logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", AIRFLOW_MAIN, *_command(name, self.port)],
                env={**self.process_env(), **component_env(name)},
                cwd=self.home.path,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopping it stops its workers too
            )
        self._procs[name] = process
        self.pids[name] = process.pid
        self._save()

    # -- requests from attached processes -------------------------------------------------
    # An attached process (a grading run's tests) may run in a sandbox that can neither see
    # nor signal the components' processes. It drops a request file in the home's control/
    # folder; the owner, which started the processes, carries it out and answers.
    def _ask_owner(self, action: str, name: str, timeout: float = 120) -> None:
        control = self.home.path / "control"
        control.mkdir(exist_ok=True)
        request_id = f"{action}-{name}-{os.getpid()}-{time.monotonic_ns()}"
        answer = control / f"{request_id}.done"
        tmp = control / f"{request_id}.tmp"
        tmp.write_text(json.dumps({"action": action, "component": name}))
        tmp.rename(control / f"{request_id}.json")
        deadline = time.monotonic() + timeout
        while not answer.exists():
            if time.monotonic() > deadline or not self.state_file.exists():
                raise RuntimeError(f"the process that owns the Airflow at {self.url} did not {action} its {name}")
            time.sleep(0.05)
        result = json.loads(answer.read_text())
        answer.unlink(missing_ok=True)
        self.pids = _read_state(self.state_file).get("pids", {})
        if not result.get("ok"):
            raise RuntimeError(f"could not {action} the {name}: {result.get('error')}")

    def _serve_requests(self, stop: threading.Event) -> None:
        control = self.home.path / "control"
        control.mkdir(exist_ok=True)
        if self.reader is not None:
            os.chown(control, self.reader, -1)
        while not stop.wait(0.05):
            for request in sorted(control.glob("*.json")):
                try:
                    body = json.loads(request.read_text())
                    action = {"stop": self.stop_component, "start": self.start_component}[body["action"]]
                    if body["component"] not in COMPONENTS:
                        raise ValueError(f"unknown component {body['component']!r}")
                    action(body["component"])
                    outcome: dict[str, bool | str] = {"ok": True}
                except Exception as error:  # answered, never raised in the owner
                    outcome = {"ok": False, "error": f"{type(error).__name__}: {error}"}
                request.unlink(missing_ok=True)
                request.with_suffix(".done").write_text(json.dumps(outcome))

    def serve_requests(self) -> None:
        """Owner: carry out attached processes' stop/start requests (a daemon thread)."""
        if self._requests_stop is None:
            self._requests_stop = threading.Event()
            threading.Thread(target=self._serve_requests, args=(self._requests_stop,), daemon=True,
                             name=f"airflow requests {self.port}").start()

    def _fork(self, name: str, log: Path) -> int | None:
        """Ask the zygote to fork `name`; None when there is no zygote (then: Popen)."""
        zygote = self._zygote
        if zygote is None or zygote.poll() is not None or zygote.stdin is None or zygote.stdout is None:
            return None
        try:
            request = {"args": _command(name, self.port), "log": str(log), "env": component_env(name)}
            zygote.stdin.write(json.dumps(request) + "\n")
            zygote.stdin.flush()
            for line in zygote.stdout:
                if line.startswith("ZYGOTE-PID "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        self._close_zygote()  # it died: start the rest the slow way
        return None

    def _open_zygote(self) -> None:
        logs = self.home.path / "processes"
        logs.mkdir(exist_ok=True)
        with open(logs / "zygote.log", "ab") as log:
            zygote = subprocess.Popen(
                [sys.executable, "-m", "labkit.services._airflow_zygote"],
                env=self.process_env(), cwd=self.home.path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True, start_new_session=True,
            )
        self._zygote = zygote
        self._save()
        assert zygote.stdout is not None
        for line in zygote.stdout:  # wait until it has imported Airflow
            if line.startswith("ZYGOTE-READY"):
                return
        self._close_zygote()

    def _close_zygote(self) -> None:
        """Let the zygote go (the components it forked live on in their own sessions)."""
        zygote, self._zygote = self._zygote, None
        if zygote is None:
            return
        try:
            if zygote.stdin is not None:
                zygote.stdin.close()  # ends its request loop
            zygote.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            zygote.kill()
            zygote.wait()
        self._save()

    def is_running(self, name: str) -> bool:
        pid = self.pids.get(name)
        if pid is None:
            return False
        process = self._procs.get(name)
        if process is not None:
            return process.poll() is None
        return process_alive(pid)

    def stop_component(self, name: str, timeout: float = STOP_GRACE) -> None:
        """Stop one component the way an operator would (SIGTERM), and wait until it is gone."""
        pid = self.pids.pop(name, None)
        if pid is not None:
            _stop_groups([pid], timeout)
            process = self._procs.pop(name, None)
            if process is not None:
                process.wait()
            self._save()

    def stop(self, grace: float = STOP_GRACE, *, remove: bool = False) -> None:
        """Stop every component.

        `grace` seconds for a clean shutdown, then SIGKILL. A grading server's home is
        thrown away afterwards (`remove`), so it is stopped with little grace.
        """
        if self._requests_stop is not None:
            self._requests_stop.set()
        # Attached processes may have restarted components: the state file knows their pids.
        try:
            self.pids.update(json.loads(self.state_file.read_text())["pids"])
        except (OSError, ValueError, KeyError):
            pass
        _stop_groups(list(self.pids.values()), grace)
        for process in self._procs.values():
            process.wait()
        self.pids.clear()
        self._procs.clear()
        self.state_file.unlink(missing_ok=True)  # tells the watchdog to leave
        if self._watchdog is not None:
            try:
                self._watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()
        if remove:
            shutil.rmtree(self.home.path, ignore_errors=True)

    # -- HTTP -------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        import httpx

        return cast(dict[str, Any], httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5).json())

    def token(self, user: str = "admin") -> str:
        import httpx

        response = httpx.post(
            f"{self.url}/auth/token", json={"username": user, "password": self.passwords[user]}, timeout=10
        )
        response.raise_for_status()
        return cast(str, response.json()["access_token"])

    def api(self, method: str, path: str, *, user: str = "admin", **kwargs: Any) -> httpx.Response:
        """One call to /api/v2 as `user` (the kit's own setup calls, not the student's client).

        While the scheduler writes, Airflow can refuse a write: 503 "Database is locked" (a
        backfill on SQLite) or 500 "Database error" (any other write that waited out the SQLite
        lock, such as a lesson's trigger while the scheduler created a run: seen in CI). On a
        busy machine that is often. The refused transaction was rolled back, so the call is
        tried again for up to LOCKED_RETRY_S: a lesson or a grading run must not depend on the
        machine's load."""
        import httpx

        # Counted from the first refusal: that write may have waited out the SQLite lock wait.
        deadline: float | None = None
        logged_in_again = False
        while True:
            if user not in self._tokens:
                self._tokens[user] = self.token(user)
            headers = {"Authorization": f"Bearer {self._tokens[user]}"}
            response = httpx.request(method, f"{self.url}/api/v2/{path.lstrip('/')}", headers=headers, timeout=30, **kwargs)
            if response.status_code == 401 and not logged_in_again:
                self._tokens.pop(user)  # expired: log in again once
                logged_in_again = True
            elif _lost_a_database_race(response) and time.monotonic() < (deadline or time.monotonic() + LOCKED_RETRY_S):
                deadline = deadline or time.monotonic() + LOCKED_RETRY_S
                log.warning("Airflow refused %s %s (%s); trying again. %s", method, path,
                            response.status_code, self.database_error(response))
                time.sleep(0.5)
            else:
                return response

    def database_error(self, response: httpx.Response) -> str:
        """The API server's log entry for a 500 "Database error" (the response only names its ID)."""
        found = ERROR_ID.search(response.text)
        logged = self.home.path / "processes" / "api-server.log"
        if not found or not logged.exists():
            return ""
        lines = logged.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if f"Error with id {found.group(1)}" in line:
                return "\n".join(lines[i:i + 3])
        return ""

    def wait_healthy(self, components: tuple[str, ...] | None = None, timeout: float = 120) -> dict[str, Any]:
        """Wait until the API answers and every running component reports healthy."""
        wanted = [HEALTH_NAMES[c] for c in (components or tuple(self.pids)) if c in HEALTH_NAMES]
        deadline = time.monotonic() + timeout
        last: Any = "no answer"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                last = self.health()
                if last["metadatabase"]["status"] == "healthy" and all(
                    (last.get(name) or {}).get("status") == "healthy" for name in wanted
                ):
                    return cast(dict[str, Any], last)
            except Exception as error:  # not listening yet
                last = error
            time.sleep(0.25)
        raise TimeoutError(f"Airflow at {self.url} was not healthy within {timeout:.0f} s: {last}\n{self.log_tail()}")

    def wait_for_dags(self, dag_ids: set[str], timeout: float = 60) -> None:
        """Wait until the DAG processor has parsed these DAGs (the API lists only parsed ones)."""
        deadline = time.monotonic() + timeout
        missing = set(dag_ids)
        while time.monotonic() < deadline:
            missing = {dag_id for dag_id in missing if self.api("GET", f"dags/{dag_id}").status_code != 200}
            if not missing:
                return
            time.sleep(0.5)
        raise TimeoutError(f"the DAG processor did not parse {sorted(missing)} within {timeout:.0f} s\n{self.log_tail()}")

    def dags_or_errors(self, files: dict[str, str], timeout: float = 45) -> dict[str, str]:
        """Wait until each DAG (dag_id -> the file defining it) is parsed or its file's import
        error is known; returns dag_id -> why it is missing (the error's last line). Unlike
        `wait_for_dags`, a student's broken file is an answer, not a timeout."""
        deadline = time.monotonic() + timeout
        while True:
            known = {d["dag_id"] for d in self.api("GET", "dags", params={"limit": 100}).json()["dags"]}
            errors = self.api("GET", "importErrors", params={"limit": 100}).json().get("import_errors", [])
            missing = set(files) - known
            explained = {}
            for dag_id in missing:
                for error in errors:
                    if error["filename"].endswith(files[dag_id]):
                        last = error["stack_trace"].strip().splitlines()[-1]
                        explained[dag_id] = f"the scheduler could not load {files[dag_id]}: {last}"
            if len(explained) == len(missing) or time.monotonic() > deadline:
                return {d: explained.get(d, f"the scheduler never saw a DAG {d} (after {timeout:.0f} s)") for d in missing}
            time.sleep(0.5)

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for log in sorted((self.home.path / "processes").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def _check_alive(self) -> None:
        for name in self.pids:
            if not self.is_running(name):
                raise RuntimeError(f"airflow {name} exited while starting\n{self.log_tail()}")

    def _save(self) -> None:
        state = {
            "home": str(self.home.path),
            "dags_folder": str(self.home.dags_folder),
            "port": self.port,
            "passwords": self.passwords,
            "settings": self.settings,
            "pids": self.pids,
            "ready": self.ready,
            "zygote": self._zygote.pid if self._zygote is not None else None,
            "keep_home": self.keep_home,
        }
        write_private(self.state_file, json.dumps(state), owner=self.reader)

    def __enter__(self) -> AirflowServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class AttachedAirflowServer(AirflowServer):
    """A server another process started and owns: driven through its state file and the
    owner's control/ folder (its pids may be invisible here: a sandbox's PID namespace).
    Stopping it is the owner's business, so `stop()` does nothing."""

    def start_component(self, name: str) -> None:
        self._ask_owner("start", name)

    def is_running(self, name: str) -> bool:
        self.pids = _read_state(self.state_file).get("pids", {})
        return name in self.pids

    def stop_component(self, name: str, timeout: float = STOP_GRACE) -> None:
        self._ask_owner("stop", name)

    def stop(self, grace: float = STOP_GRACE, *, remove: bool = False) -> None:
        """Left running: its owner stops it."""

    def _check_alive(self) -> None:
        if not self.state_file.exists():
            raise RuntimeError(f"the Airflow server at {self.url} was stopped (or failed to start)")


def servers_root() -> Path:
    return airflow.root() / "servers"


def _command(name: str, port: int) -> list[str]:
    if name == "api-server":
        return ["api-server", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)]
    if name in ("scheduler", "triggerer"):
        # Each would start a log server (LocalExecutor) that listens on every interface,
        # 0.0.0.0 and [::], whatever the config says (3.3 has no setting for its address).
        # Nothing needs it here: the API server runs on the same machine and reads task logs,
        # running tasks' too, from the files under the home's logs/.
        return [name, "--skip-serve-logs"]
    if name in COMPONENTS:
        return [name]
    if name.startswith(CELERY_WORKER):
        # One worker per queue, one task at a time; no log server (it would listen on every
        # interface, as the scheduler's would): the API server reads the log files.
        queue = _queue_of(name)
        return ["celery", "worker", "--queues", queue, "--celery-hostname", f"{queue}@%h",
                "--skip-serve-logs", "--concurrency", "1"]
    raise ValueError(f"unknown Airflow component {name!r}: expected one of {', '.join(COMPONENTS)} "
                     f"or {CELERY_WORKER}<queue>")


def celery_worker(queue: str) -> str:
    """The component name of a Celery worker that takes tasks from `queue` (CeleryExecutor)."""
    _queue_of(CELERY_WORKER + queue)
    return CELERY_WORKER + queue


def _queue_of(name: str) -> str:
    queue = name.removeprefix(CELERY_WORKER)
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", queue):
        raise ValueError(f"a Celery queue name is letters, digits, '_', '.' or '-': not {queue!r}")
    return queue


def component_env(name: str) -> dict[str, str]:
    """What one component's environment adds to the server's: a Celery worker's own name,
    which the task instances it runs report as their hostname (WORKER_HOSTNAME)."""
    return {WORKER_NAME: f"worker-{_queue_of(name)}"} if name.startswith(CELERY_WORKER) else {}


def worker_hostname() -> str:
    """`[core] hostname_callable` for a server with Celery workers on one machine: each task
    instance records the worker that ran it, not the machine all of them share."""
    import socket

    return os.environ.get(WORKER_NAME) or socket.getfqdn()


def _lost_a_database_race(response: httpx.Response) -> bool:
    text = response.text.lower()
    return ((response.status_code == 503 and "database is locked" in text)
            or (response.status_code == 500 and "database error" in text))


def settings_for(home: airflow.AirflowHome, port: int, passwords: dict[str, str]) -> dict[str, str]:
    from cryptography.fernet import Fernet

    password_file = home.path / "passwords.json"
    write_private(password_file, json.dumps(passwords))
    return {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{user}:{role}" for user, role in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
        # Tasks call the Execution API at this address: it must match the real port.
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        # A loop that found nothing to do sleeps 0.5 s, not 1 s: a triggered run passes through
        # several idle loops (queued, running, done), and lab 4's run ends ~3 s sooner. Idle,
        # the scheduler then costs ~1 CPU-s a minute more (measured: 1.1 CPU-s per 30 s).
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        # New DAG files show up within seconds, not the default five minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        # Every file in the DAGs folder is parsed, even one that never says "airflow" and
        # "dag" (safe mode skips those silently: a student's broken file would be no error).
        "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE": "False",
        # No log server runs (see _command), but the API server still asks one for a running
        # task's log (and then reads the file): a port of its own answers "refused" at once,
        # where the default 8793 might reach another Airflow's log server on this machine.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
    }


def start(
    name: str,
    dags: list[Path],
    *,
    components: tuple[str, ...] = COMPONENTS,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
    base: Path | None = None,
    reader: int | None = None,
) -> AirflowServer:
    """A fresh home `name` (under `base`, default .labkit/airflow/servers) with `dags`, every
    component started, healthy on return. `reader`: a user who may drive it (see AirflowServer)."""
    home = airflow.prepare(name, dags, fresh=True, base=base or servers_root())
    port = free_port()
    passwords = {user: secrets.token_urlsafe(18) for user in USERS}
    server = AirflowServer(home, port, passwords, {**settings_for(home, port, passwords), **(settings or {})}, reader=reader)
    return launch(server, components, timeout=timeout)


def launch(server: AirflowServer, components: tuple[str, ...] = COMPONENTS, *, timeout: float = 120) -> AirflowServer:
    """Start the components of a server whose home and settings are ready; healthy on return."""
    server._save()
    server._watchdog = subprocess.Popen(
        [sys.executable, "-m", "labkit.services.watchdog", str(os.getpid()), str(server.state_file), "--airflow"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if USE_ZYGOTE:
            server._open_zygote()
        for component in components:
            server.start_component(component)
        server._close_zygote()
        server.wait_healthy(components, timeout=timeout)
        server.ready = True
        server._save()
        server.serve_requests()
    except BaseException:
        server._close_zygote()
        server.stop()
        raise
    return server


def attach(state_file: str | Path) -> AttachedAirflowServer:
    """Drive a server another process started (it stays that process's to stop)."""
    state = json.loads(Path(state_file).read_text())
    home = airflow.AirflowHome(Path(state["home"]), Path(state["dags_folder"]))
    return AttachedAirflowServer(home, state["port"], state["passwords"], state["settings"], dict(state["pids"]),
                                 ready=state.get("ready", False))


def answers(state_file: Path) -> bool:
    """Started and answering, its metadata DB healthy (its owner may be stopping it right now)."""
    try:
        server = attach(state_file)
        health = server.health() if server.ready else {}
    except Exception:  # gone, or not answering
        return False
    return bool(health.get("metadatabase", {}).get("status") == "healthy")


def _read_state(state_file: Path) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], json.loads(state_file.read_text()))
    except (OSError, ValueError):
        return {}


def stop_state(state_file: Path) -> None:
    """Stop every process a state file lists and remove the home (the watchdog's job when
    an owner died)."""
    try:
        state = json.loads(state_file.read_text())
        pids = list(state["pids"].values()) + ([state["zygote"]] if state.get("zygote") else [])
    except (OSError, ValueError, KeyError):
        return
    _stop_groups(pids, 5.0)
    if state.get("keep_home"):
        state_file.unlink(missing_ok=True)
    else:
        shutil.rmtree(state_file.parent, ignore_errors=True)  # the home: its owner is gone


def _stop_groups(pids: list[int], timeout: float) -> None:
    """SIGTERM each process group, wait, then SIGKILL what is left."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_group_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pid: int) -> bool:
    """True while any process of the group `pid` leads is alive (zombies do not count)."""
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not Path("/proc").is_dir():
        return True  # no /proc (macOS): the group exists, zombies or not
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pid:  # state, ppid, pgrp
            return True
    return False

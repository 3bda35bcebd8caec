"""Fixtures every graded suite shares: the code under test, databases, services, DAG runs.

Expensive things live once per session (the PostgreSQL server, the Airflow home); what a
test writes is fresh per test (its own database, its own fake API), so one test's
leftovers never reach the next.
"""
from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import psycopg2
import pytest

from labkit import labs
from labkit.grading import inprocess_api
from labkit.grading.loader import LabLoadError, describe_exception, load_module
from labkit.grading.targets import Target
from labkit.services import airflow, gsheets, http_api, postgres, s3, slack

if TYPE_CHECKING:
    from datetime import datetime

    from psycopg2.extensions import connection

    from airflow.sdk import DAG, Context

    from labkit.services.airflow_server import AirflowServer

# Seconds a lab file may take to import (a loop at module level); batch grading sets less.
IMPORT_TIME_LIMIT = int(os.environ.get("LABKIT_IMPORT_TIME_LIMIT", "60"))


# -- the code under test ------------------------------------------------------------------
@pytest.fixture(scope="session")
def labkit_target(request: pytest.FixtureRequest) -> Target:
    try:
        return Target.parse(request.config.getoption("target"))
    except ValueError as err:
        raise pytest.UsageError(str(err)) from None


@pytest.fixture(scope="session")
def airflow_home(labkit_target: Target) -> Iterator[airflow.AirflowHome]:
    """An AIRFLOW_HOME for this run, set up before anything imports Airflow.

    `labkit test` prepares one and exports it; a plain `pytest` run makes its own.
    """
    prepared = os.environ.get("LABKIT_AIRFLOW_PREPARED")
    if prepared and prepared == os.environ.get("AIRFLOW_HOME"):
        yield airflow.AirflowHome(Path(os.environ["AIRFLOW_HOME"]), Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]))
        return
    home = airflow.prepare(f"pytest-{labkit_target.kind}-{os.getpid()}")
    saved = {key: os.environ.get(key) for key in home.env()}
    os.environ.update(home.env())
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def load_lab(labkit_target: Target, airflow_home: airflow.AirflowHome) -> Callable[[str], ModuleType]:
    """`load_lab("lab1_dedupe_upsert.py")` -> the target's module, loaded once (the lab that
    owns a file comes from its name: `common/alerts.py` is lab 3's, see labkit/labs.py).

    A file that does not load fails every test that uses it, each with the same short
    explanation (and the score table prints it once).
    """
    cache: dict[Path, ModuleType | LabLoadError] = {}

    def load(filename: str) -> ModuleType:
        lab = labs.owner_of(filename).name
        path = labkit_target.lab_file(lab, filename)
        if path not in cache:
            # The DAGs folder holds all of the lab's files, as the runner prepares it
            # (dag.test() parses the whole folder; a file linked later may go unseen).
            airflow_home.dags_folder.mkdir(parents=True, exist_ok=True)
            for source in labkit_target.lab_files(lab):
                link = airflow_home.dags_folder / source.name
                if not link.exists() and not link.is_symlink() and source.exists():
                    link.symlink_to(source.resolve(), target_is_directory=source.is_dir())
            # `common/alerts.py` is module `common.alerts` of the package `common`.
            parts = Path(filename).with_suffix("").parts
            package_root = path.parents[len(parts) - 1] if len(parts) > 1 else None
            try:
                with _time_limit(IMPORT_TIME_LIMIT, path):
                    cache[path] = load_module(path, ".".join(parts), package_root)
            except LabLoadError as err:
                cache[path] = err
        loaded = cache[path]
        if isinstance(loaded, LabLoadError):
            pytest.fail(str(loaded), pytrace=False)
        return loaded

    return load


@contextmanager
def _time_limit(seconds: int, path: Path) -> Iterator[None]:
    """Stop a module-level infinite loop while importing (main thread, POSIX only)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise LabLoadError(
            f"{path.name} took more than {seconds} s to import. Code at the top level of the file runs on "
            "import: is there a loop (or a network call) outside any function?"
        )

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- PostgreSQL: one server per session, one database per test ---------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    admin = os.environ.get("LABKIT_PG_ADMIN_DSN")
    if admin:
        attached = postgres.attach(admin)  # the runner (or a notebook's stack) owns it
        postgres.wait_healthy(attached, timeout=60)  # the runner may still be starting it
        yield attached
        return
    server = postgres.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Warehouse:
    """A test's own database, with the small helpers graded tests need."""

    server: postgres.PostgresServer
    name: str
    _conns: list[Any] = field(default_factory=list, repr=False)

    @property
    def dsn(self) -> str:
        return self.server.dsn(self.name)

    def connect(self, **kwargs: Any) -> connection:
        conn: connection = psycopg2.connect(self.dsn, connect_timeout=5, **kwargs)
        self._conns.append(conn)
        return conn

    def query(self, sql: Any, params: Any = None) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.rollback()
            conn.close()

    def execute(self, sql: Any, params: Any = None) -> None:
        conn = self.connect()
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql, params)
        finally:
            conn.close()

    def table_exists(self, table: str, schema: str = "public") -> bool:
        return bool(self.query("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{table}",))[0][0])

    def columns(self, table: str, schema: str = "public") -> dict[str, tuple[str, str | None]]:
        """column -> (data type, default expression)."""
        rows = self.query(
            "SELECT column_name, data_type, column_default FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        )
        return {name: (dtype, default) for name, dtype, default in rows}

    def close(self) -> None:
        for conn in self._conns:
            if not conn.closed:
                conn.close()


@pytest.fixture
def warehouse_template() -> str | None:
    """A database each test's warehouse starts as a copy of (a lab's conftest overrides this)."""
    return None


@pytest.fixture
def warehouse(
    pg_server: postgres.PostgresServer,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    warehouse_template: str | None,
) -> Iterator[Warehouse]:
    """A fresh database for this test (empty, or a copy of the lab's template), reachable as
    the Airflow connection `warehouse`."""
    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12] + f"_{os.getpid()}"
    pg_server.create_database(name, replace=True, template=warehouse_template)
    db = Warehouse(pg_server, name)
    for key, value in pg_server.env(name).items():
        monkeypatch.setenv(key, value)
    try:
        yield db
    finally:
        db.close()
        if not os.environ.get("LABKIT_PG_EPHEMERAL"):  # a throwaway server is deleted whole
            pg_server.drop_database(name)


# -- the fake weather API, fresh per test ----------------------------------------------------
@pytest.fixture
def weather_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[http_api.WeatherAPI]:
    api = http_api.WeatherAPI(advance_daily=True).start()
    for key, value in api.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield api
    finally:
        api.stop()


# -- S3, Slack and Google Sheets fakes: servers per session, state fresh per test ------------
@pytest.fixture(scope="session")
def s3_server() -> Iterator[s3.S3Server]:
    from labkit.grading import botocore_models

    botocore_models.install()  # each S3Hook's new session would parse botocore's models again
    server = s3.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_s3(s3_server: s3.S3Server, monkeypatch: pytest.MonkeyPatch) -> s3.S3Server:
    """moto with no buckets and no objects, reachable as the Airflow connection `aws_default`."""
    s3_server.reset()
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return s3_server


@pytest.fixture
def slack_webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[slack.SlackWebhook]:
    """A Slack incoming webhook of this test's own, as the Airflow connection `slack_alerts`."""
    receiver = slack.SlackWebhook().start()
    for key, value in receiver.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="session")
def sheets_server() -> Iterator[gsheets.GoogleSheets]:
    server = gsheets.GoogleSheets().start()  # one RSA key per session: generating it costs ~50 ms
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def google_sheets(sheets_server: gsheets.GoogleSheets, monkeypatch: pytest.MonkeyPatch) -> gsheets.GoogleSheets:
    """Google Sheets holding only the course spreadsheets, as the Airflow connection `google_sheets`."""
    from labkit.data import budget

    sheets_server.reset()
    budget.seed(sheets_server)
    for key, value in sheets_server.env().items():
        monkeypatch.setenv(key, value)
    return sheets_server


# -- a live Airflow (lab 4): one per session, connected by the plugin after collection -------
@pytest.fixture(scope="session")
def live_airflow(labkit_target: Target) -> Callable[[str], Any]:
    """`live_airflow("lab4")`: that lab's running Airflow (see labkit/grading/servers.py)."""
    from labkit.grading import servers

    def get(lab: str) -> AirflowServer:
        server = servers.connect(lab, labkit_target.lab_files(lab))
        if isinstance(server, Exception):
            pytest.fail(f"the lab's Airflow did not start: {server}", pytrace=False)
        return server

    return get


# -- running a DAG with dag.test() ----------------------------------------------------------
@dataclass
class DagRunResult:
    dag_id: str
    state: str
    task_states: dict[str, str | None]
    errors: dict[str, str]
    run_id: str = ""

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    def summary(self) -> str:
        states = ", ".join(f"{task}={state}" for task, state in self.task_states.items())
        text = f"DAG run {self.state} ({states})"
        for task, error in self.errors.items():
            text += f"\n  {task}: " + error.replace("\n", "\n  ")
        return text


def find_dag(module: ModuleType, dag_id: str | None = None) -> DAG:
    from airflow.sdk import DAG

    assert module.__file__ is not None, f"{module.__name__} is not a file"
    dags = [value for value in vars(module).values() if isinstance(value, DAG)]
    if not dags:  # `my_dag()` at the bottom of the file, not assigned: find it as the scheduler does
        dags = list(dags_in_file(Path(module.__file__))[0].values())
    if dag_id is not None:
        dags = [d for d in dags if d.dag_id == dag_id]
    if not dags:
        from labkit.grading.checks import fail

        fail(
            f"no DAG{' ' + dag_id if dag_id else ''} found in {Path(module.__file__).name}",
            "call your @dag-decorated function at the bottom of the file (or assign the DAG to a variable)",
        )
    return dags[0]


def dags_in_file(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse one file the way the scheduler does: (dags by id, import errors)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(path), safe_mode=False)
    return dict(bag.dags), {Path(k).name: v for k, v in bag.import_errors.items()}


def run_dag(dag: DAG, *, run_conf: dict[str, Any] | None = None, logical_date: datetime | None = None,
            keep_retries: bool = False) -> DagRunResult:
    """dag.test() with retries off (a retry would wait out retry_delay), summarised.

    `keep_retries=True` leaves them on, for a DAG whose retry_delay is zero.

    Each task gets one more failure callback for this run, recording the exception with
    the line of the student's file it came from (dag.test() writes no task log files).
    """
    errors: dict[str, str] = {}

    def record(context: Context) -> None:
        error = context.get("exception")  # Airflow's Context allows a str; dag.test() passes the exception
        errors[context["ti"].task_id] = describe_exception(error) if isinstance(error, BaseException) else str(error or "failed")

    saved = {task: (task.retries, task.on_failure_callback) for task in dag.tasks}
    for task in dag.tasks:
        if not keep_retries:
            task.retries = 0
        callbacks = task.on_failure_callback
        existing = [callbacks] if callable(callbacks) else list(callbacks or [])
        task.on_failure_callback = [*existing, record]
    inprocess_api.serve_only_the_sdk_version()  # the first dag.test() of a process: ~5 s less
    try:
        run = dag.test(run_conf=run_conf, logical_date=logical_date)
    finally:  # the DAG object may be shared (a session fixture): leave it as it was
        for task, (retries, callbacks) in saved.items():
            task.retries, task.on_failure_callback = retries, callbacks
    states = _task_states(dag.dag_id, run.run_id)
    return DagRunResult(
        dag.dag_id, str(run.state), states, {k: v for k, v in errors.items() if states.get(k) == "failed"}, run.run_id
    )


def _task_states(dag_id: str, run_id: str) -> dict[str, str | None]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
        return {ti.task_id: (str(ti.state) if ti.state else None) for ti in tis}


@pytest.fixture
def dag_runner() -> Callable[..., DagRunResult]:
    return run_dag

"""Lab 5 fixtures: your five DAG files, sensor probes built from your code, and a real scheduler.

Most tests run your DAGs with `dag.test()` in this process: quick, and enough for triggers,
sensors, branches and trigger rules. Two things need the real scheduler of a live Airflow
(see labkit/grading/servers.py), which runs your own files: a trigger that waits for the
run it started (under dag.test() nobody would run that run), and LatestOnly (it skips only
in scheduled and backfill runs). Their runs start in the background at the first test, so
the scheduler works while the other tests run.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from labkit.grading.checks import check
from labkit.grading.fixtures import dags_in_file, find_dag
from tests.lab5.helpers import LATEST, PIPELINE, REPORT, WAITING, SchedulerWork

PROBES = Path(__file__).with_name("probe_dags.py")
WAIT_DAY = pendulum.datetime(2026, 3, 20, tz="UTC")  # the waiting pipeline's run, on the scheduler
WAIT_RUN_ID = "graded_wait_2026-03-20"
BACKFILL_DAY = pendulum.datetime(2026, 3, 2, tz="UTC")  # a past day replayed by a backfill


@pytest.fixture(scope="session")
def report_module(load_lab):
    """The given lab5_orders_report.py."""
    return load_lab("lab5_orders_report.py")


@pytest.fixture(scope="session")
def pipeline_module(load_lab, report_module):
    """Your lab5_orders_pipeline.py."""
    return load_lab("lab5_orders_pipeline.py")


@pytest.fixture(scope="session")
def reactive_module(load_lab):
    """Your lab5_reactive.py."""
    return load_lab("lab5_reactive.py")


@pytest.fixture(scope="session")
def branching_module(load_lab, report_module):
    """Your lab5_branching.py."""
    return load_lab("lab5_branching.py")


@pytest.fixture(scope="session")
def latest_only_module(load_lab):
    """Your lab5_latest_only.py."""
    return load_lab("lab5_latest_only.py")


@pytest.fixture(scope="session")
def pipeline_dag(pipeline_module):
    return find_dag(pipeline_module, PIPELINE)


@pytest.fixture(scope="session")
def report_dag(report_module):
    return find_dag(report_module, REPORT)


@pytest.fixture(scope="session")
def probes(reactive_module, pipeline_module, airflow_home):
    """Sensor DAGs built with your wait_for_orders (timeout 3 s), beside your files."""
    link = airflow_home.dags_folder / PROBES.name
    if not link.exists():
        link.symlink_to(PROBES)
    dags, errors = dags_in_file(PROBES)
    check(not errors, "the sensor test DAGs cannot use your wait_for_orders:\n" + "\n".join(errors.values()))
    return dags


@pytest.fixture(scope="session", autouse=True)
def scheduler_work(live_airflow) -> Iterator[SchedulerWork]:
    """Starts the scheduler's runs in the background at the first test: a backfill and the
    latest run of lab5_latest_only, and a run of lab5_orders_pipeline_and_wait. Problems are
    kept for the scheduler tests to report; the other tests never see them."""
    work = SchedulerWork()
    work.begin(functools.partial(_start_work, live_airflow))
    yield work
    work.finish()


def _start_work(live_airflow, work: SchedulerWork) -> None:
    try:
        work.server = server = live_airflow("lab5")
    except pytest.fail.Exception as error:
        work.problems = {dag_id: str(error) for dag_id in (WAITING, LATEST)}
        return
    try:
        _start_runs(server, work)
    except Exception as error:  # the API went away: only the scheduler tests can tell
        for dag_id in (WAITING, LATEST):
            work.problems.setdefault(dag_id, f"the lab's Airflow stopped answering: {type(error).__name__}: {error}")


def _start_runs(server, work: SchedulerWork) -> None:
    files = {REPORT: f"{REPORT}.py", WAITING: f"{PIPELINE}.py", LATEST: f"{LATEST}.py"}
    work.problems = server.dags_or_errors(files)
    for dag_id in (REPORT, WAITING, LATEST):  # unpausing LATEST lets the scheduler create its latest run
        if dag_id not in work.problems:
            server.api("PATCH", f"dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})
    if WAITING not in work.problems:
        if REPORT in work.problems:
            work.problems[WAITING] = work.problems[REPORT]
        else:
            response = server.api("POST", f"dags/{WAITING}/dagRuns",
                                  json={"dag_run_id": WAIT_RUN_ID, "logical_date": WAIT_DAY.isoformat(), "conf": {}})
            if response.status_code not in (200, 409):  # 409: started by this run's first attempt (a restart)
                work.problems[WAITING] = f"Airflow refused to start {WAITING}: {response.status_code} {response.text[:300]}"
    started = server.api("GET", "backfills", params={"dag_id": LATEST}).json().get("backfills", [])
    if LATEST not in work.problems and not started:  # after a restart, the first attempt's backfill goes on
        day = BACKFILL_DAY.isoformat()
        body = {"dag_id": LATEST, "from_date": day, "to_date": day, "max_active_runs": 1, "reprocess_behavior": "none"}
        response = server.api("POST", "backfills", json=body)  # tried again while SQLite is locked
        if response.status_code != 200:
            work.problems["backfill"] = f"Airflow refused a backfill of {LATEST}: {response.status_code} {response.text[:300]}"

"""What the lab 5 tests read back: runs in the test's Airflow DB, and runs on the live scheduler."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labkit.grading.checks import fail

REPORT = "lab5_orders_report"
PIPELINE = "lab5_orders_pipeline"
WAITING = "lab5_orders_pipeline_and_wait"
LATEST = "lab5_latest_only"
FINAL = ("success", "failed")
# Why a test that runs lab5_orders_pipeline with dag.test() may never return (the runner says it).
WAITS_FOREVER = ("Under dag.test() nobody runs the report, so a trigger with wait_for_completion=True waits forever: "
                 "only lab5_orders_pipeline_and_wait should wait (trigger_report(wait=...)).")


# -- runs made by dag.test() in this test process's Airflow home -------------------------------
@dataclass
class Run:
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None
    conf: dict
    run_type: str


def runs_of(dag_id: str, logical_date: datetime | None = None) -> list[Run]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        query = session.query(DagRun).filter(DagRun.dag_id == dag_id)
        if logical_date is not None:
            query = query.filter(DagRun.logical_date == logical_date)
        return [
            Run(r.dag_id, r.run_id, str(r.state), r.logical_date, dict(r.conf or {}), str(r.run_type))
            for r in query.order_by(DagRun.id)
        ]


def returned(dag_id: str, run_id: str, task_id: str) -> Any:
    """What a task returned (its "return_value" XCom), or None."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = (
            session.query(XComModel)
            .filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, key="return_value")
            .one_or_none()
        )
        return XComModel.deserialize_value(row) if row is not None else None


def task_of(dag, task_id: str):
    if task_id not in dag.task_dict:
        fail(f"{dag.dag_id} has no task {task_id!r} (it has: {', '.join(sorted(dag.task_dict))})")
    return dag.task_dict[task_id]


def expect_states(result, wanted: dict[str, str], why: str) -> None:
    """Each task in `wanted` ended in that state; the message shows the whole run."""
    wrong = {task: result.task_states.get(task) for task, state in wanted.items() if result.task_states.get(task) != state}
    if wrong:
        expected = ", ".join(f"{task}={wanted[task]}" for task in wrong)
        fail(f"{why}: expected {expected}\n{result.summary()}")


# -- the live scheduler ------------------------------------------------------------------------
@dataclass
class SchedulerWork:
    """Runs the graded scheduler tests wait for, started in the background at the first test
    of the session, so that the DAG processor parses your files and the scheduler works while
    the dag.test() tests run."""

    server: Any = None
    problems: dict[str, str] = field(default_factory=dict)  # dag_id -> why its runs cannot be checked
    _started: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def begin(self, start: Callable[[SchedulerWork], None]) -> None:
        """Call start(self) in the background (it fills `server` and `problems`)."""
        def started() -> None:
            try:
                start(self)
            finally:
                self._started.set()

        self._thread = threading.Thread(target=started, name="lab5-scheduler-work", daemon=True)
        self._thread.start()

    def finish(self, timeout: float = 30) -> None:
        """At the session's end: no call to a server that is being stopped."""
        if self._thread is not None:
            self._thread.join(timeout)

    def problem(self, dag_id: str, timeout: float = 60) -> None:
        if not self._started.wait(timeout):
            fail(f"the runs on the lab's Airflow were still being started after {timeout:.0f} s")
        if dag_id in self.problems:
            fail(self.problems[dag_id])

    def run(self, dag_id: str, run_id: str, timeout: float) -> dict:
        """The run, once it has finished (fails the test, naming the states, at the timeout)."""
        deadline = time.monotonic() + timeout
        self.problem(dag_id, timeout)
        while True:
            response = self.server.api("GET", f"dags/{dag_id}/dagRuns/{run_id}")
            run = response.json() if response.status_code == 200 else {}
            if run.get("state") in FINAL:
                return run
            if time.monotonic() > deadline:
                fail(f"the scheduler had not finished {dag_id}'s run {run_id} after {timeout:.0f} s "
                     f"(state {run.get('state', response.status_code)}): {self.states(dag_id, run_id)}")
            time.sleep(0.5)

    def runs(self, dag_id: str, run_type: str, count: int, timeout: float) -> list[dict]:
        """`count` finished runs of `run_type` ("backfill", "scheduled"), oldest first."""
        deadline = time.monotonic() + timeout
        self.problem(dag_id, timeout)
        while True:
            runs = [r for r in self.server.api("GET", f"dags/{dag_id}/dagRuns", params={"order_by": "logical_date"}).json()["dag_runs"]
                    if r["run_type"] == run_type]
            if len(runs) >= count and all(r["state"] in FINAL for r in runs):
                return runs
            if time.monotonic() > deadline:
                seen = "; ".join(f"{r['logical_date']} {r['state']}: {self.states(dag_id, r['dag_run_id'])}" for r in runs)
                fail(f"after {timeout:.0f} s the scheduler had not finished {count} {run_type} run(s) of {dag_id}: "
                     f"{seen or 'none created'}")
            time.sleep(0.5)

    def task_states(self, dag_id: str, run_id: str) -> dict[str, dict]:
        answer = self.server.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()
        return {ti["task_id"]: ti for ti in answer.get("task_instances", [])}

    def states(self, dag_id: str, run_id: str) -> str:
        return ", ".join(f"{task}={ti['state']}" for task, ti in sorted(self.task_states(dag_id, run_id).items()))

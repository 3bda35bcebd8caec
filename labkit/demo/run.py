"""`make demo-run`: every reference DAG once, through the REST API, in dependency order.

The plan (each lab's `demo` steps in labkit/labs.py) says which DAG waits for which (lab 3's
SQL → Sheet needs lab 2's summary, lab 5's sensors need the orders of their day, lab 6's drill
needs a backup) and which logical date each run gets: one "demo day", shifted where two runs
must not describe the same day (three DAGs trigger lab5_orders_report, each for its own day). Runs are unpaused for the run and
paused again afterwards, as found; the demo's scheduler makes no runs of its own
(`use_job_schedule` off), so the table shows exactly what was asked.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from labkit.labs import DemoStep, demo_plan
from labkit.services.airflow_server import AirflowServer

TERMINAL = {"success", "failed"}


Step = DemoStep  # each lab's steps are in its record (labkit/labs.py)
PLAN: tuple[Step, ...] = demo_plan()


@dataclass
class Outcome:
    dag_id: str
    state: str = "not started"
    run_id: str | None = None
    seconds: float | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "success"


def demo_day(now: datetime | None = None) -> datetime:
    """Midnight (UTC) two days ago, plus this minute: a day every DAG has data for, and a
    logical date no earlier demo-run used (the demo keeps its run history)."""
    now = now or datetime.now(timezone.utc)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    return midnight + timedelta(minutes=now.hour * 60 + now.minute)


def run_plan(
    server: AirflowServer,
    plan: Sequence[Step] = PLAN,
    *,
    day: datetime | None = None,
    timeout: float = 600,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Trigger every step when its prerequisites succeeded; wait for all with `timeout`."""
    day = day or demo_day()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    outcomes = {step.dag_id: Outcome(step.dag_id) for step in plan}
    steps = {step.dag_id: step for step in plan}
    paused = _unpause(server, [step.dag_id for step in plan])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for step in plan:
                outcome = outcomes[step.dag_id]
                if outcome.state != "not started":
                    continue
                blocked = [d for d in (*step.after, *([step.started_by] if step.started_by else [])) if not outcomes[d].ok]
                failed = [d for d in blocked if outcomes[d].state in TERMINAL or outcomes[d].state == "skipped"]
                if failed:
                    outcome.state, outcome.note = "skipped", f"{', '.join(failed)} did not succeed"
                elif not blocked:
                    if step.started_by:
                        _find_started_run(server, step, steps[step.started_by], outcome, day)
                    else:
                        _trigger(server, step, outcome, day, stamp, log)
            for outcome in outcomes.values():
                if outcome.run_id and outcome.state not in TERMINAL:
                    _refresh(server, outcome)
            if all(o.state in TERMINAL or o.state == "skipped" for o in outcomes.values()):
                break
            time.sleep(1.0)
        for outcome in outcomes.values():
            if outcome.state not in TERMINAL and outcome.state != "skipped":
                outcome.note = f"still {outcome.state} after {timeout:.0f} s"
                outcome.state = "timed out"
            elif outcome.state == "failed":
                outcome.note = _why_failed(server, outcome)
    finally:
        _pause(server, paused)
    return [outcomes[step.dag_id] for step in plan]


def _unpause(server: AirflowServer, dag_ids: list[str]) -> list[str]:
    """Unpause these DAGs (a paused DAG's runs stay queued); returns those that were paused."""
    were_paused = []
    for dag_id in dag_ids:
        response = server.api("GET", f"dags/{dag_id}")
        if response.status_code == 200 and response.json()["is_paused"]:
            were_paused.append(dag_id)
            server.api("PATCH", f"dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})
    return were_paused


def _pause(server: AirflowServer, dag_ids: list[str]) -> None:
    for dag_id in dag_ids:
        try:
            server.api("PATCH", f"dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": True})
        except Exception:  # the server may be gone already: nothing to restore then
            pass


def _trigger(server: AirflowServer, step: Step, outcome: Outcome, day: datetime, stamp: str,
             log: Callable[[str], None]) -> None:
    logical_date = day + step.shift
    run_id = f"demo_run__{stamp}"
    response = server.api("POST", f"dags/{step.dag_id}/dagRuns", json={
        "dag_run_id": run_id, "logical_date": logical_date.isoformat(), "conf": step.conf, "note": "make demo-run",
    })
    if response.status_code in (200, 201):
        outcome.run_id, outcome.state = run_id, "queued"
        log(f"  triggered {step.dag_id} for {logical_date:%Y-%m-%d %H:%M}")
    else:
        outcome.state, outcome.note = "failed", f"trigger refused: HTTP {response.status_code} {response.text[:200]}"


def _find_started_run(server: AirflowServer, step: Step, upstream: Step, outcome: Outcome, day: datetime) -> None:
    """The run `upstream` started for its own day (found by its logical date)."""
    logical_date = (day + upstream.shift).isoformat()
    response = server.api("GET", f"dags/{step.dag_id}/dagRuns",
                          params={"logical_date_gte": logical_date, "logical_date_lte": logical_date})
    runs = response.json().get("dag_runs", []) if response.status_code == 200 else []
    if runs:
        outcome.run_id, outcome.state = runs[-1]["dag_run_id"], runs[-1]["state"]
        outcome.note = f"started by {step.started_by}"
    else:
        outcome.state, outcome.note = "failed", f"{step.started_by} succeeded but started no run of it"


def _refresh(server: AirflowServer, outcome: Outcome) -> None:
    response = server.api("GET", f"dags/{outcome.dag_id}/dagRuns/{outcome.run_id}")
    if response.status_code != 200:
        return
    run = response.json()
    outcome.state = run["state"]
    if run.get("start_date") and run.get("end_date"):
        started, ended = (datetime.fromisoformat(run[k].replace("Z", "+00:00")) for k in ("start_date", "end_date"))
        outcome.seconds = (ended - started).total_seconds()


def _why_failed(server: AirflowServer, outcome: Outcome) -> str:
    """Which tasks failed, and the last error line of the first one's log."""
    response = server.api("GET", f"dags/{outcome.dag_id}/dagRuns/{outcome.run_id}/taskInstances")
    if response.status_code != 200:
        return outcome.note
    failed = [ti for ti in response.json().get("task_instances", []) if ti["state"] in ("failed", "upstream_failed")]
    if not failed:
        return outcome.note
    first = next((ti for ti in failed if ti["state"] == "failed"), failed[0])
    note = "failed: " + ", ".join(ti["task_id"] for ti in failed)
    logs = server.api("GET", f"dags/{outcome.dag_id}/dagRuns/{outcome.run_id}/taskInstances/{first['task_id']}"
                             f"/logs/{max(first.get('try_number') or 1, 1)}")
    if logs.status_code == 200:
        errors = [e for e in logs.json().get("content", []) if isinstance(e, dict) and e.get("level") in ("error", "critical")]
        if errors:
            note += f" — {_error_line(errors[-1])}"
    return note


def _error_line(event: dict[str, Any]) -> str:
    """One line for a structured log event: the exception (type: value) when it carries one."""
    details = event.get("error_detail") or []
    if details and isinstance(details[-1], dict) and details[-1].get("exc_type"):
        last = details[-1]
        text = f"{last['exc_type']}: {last.get('exc_value', '')}"
    else:
        text = str(event.get("event", ""))
    lines = text.strip().splitlines() or [""]
    return lines[0][:200]


def table(outcomes: Sequence[Outcome]) -> str:
    width = max(len(o.dag_id) for o in outcomes)
    lines = [f"{'DAG':<{width}}  {'state':<10} {'duration':>9}  note", "-" * (width + 40)]
    for o in outcomes:
        duration = f"{o.seconds:.1f} s" if o.seconds is not None else "—"
        lines.append(f"{o.dag_id:<{width}}  {o.state:<10} {duration:>9}  {o.note}".rstrip())
    passed = sum(o.ok for o in outcomes)
    lines.append(f"{passed}/{len(outcomes)} DAGs succeeded")
    return "\n".join(lines)

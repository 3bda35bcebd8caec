"""Lab 5 · on a real scheduler: a trigger that waits, and LatestOnly in a backfill.

The live Airflow runs your lab 5 files. Its runs started before the first test (see
conftest.py): a run of lab5_orders_pipeline_and_wait, a one-day backfill of
lab5_latest_only, and the latest scheduled run the scheduler makes once it is unpaused.
These tests wait for them (each task takes seconds in a real worker).
"""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal, fail
from tests.lab5.conftest import BACKFILL_DAY, WAIT_DAY, WAIT_RUN_ID
from tests.lab5.helpers import LATEST, REPORT, WAITING

WAIT = 60  # seconds for the scheduler to finish what a test needs (it takes ~10-25 s)


@pytest.mark.points(3)
@pytest.mark.timeout(WAIT + 15)
def test_the_waiting_pipeline_finishes_after_its_report(scheduler_work):
    """lab5_orders_pipeline_and_wait succeeds only after the report run it started has succeeded"""
    run = scheduler_work.run(WAITING, WAIT_RUN_ID, timeout=WAIT)
    check_equal(run["state"], "success", f"the state of {WAITING}'s run ({scheduler_work.states(WAITING, WAIT_RUN_ID)})")
    reports = [r for r in scheduler_work.server.api("GET", f"dags/{REPORT}/dagRuns").json()["dag_runs"]
               if r["logical_date"].startswith(f"{WAIT_DAY:%Y-%m-%d}")]
    check(len(reports) == 1, f"expected one {REPORT} run for {WAIT_DAY:%Y-%m-%d}, found {len(reports)}")
    report = reports[0]
    check_equal(report["state"], "success", f"the state of the {REPORT} run the pipeline started")
    trigger = scheduler_work.task_states(WAITING, WAIT_RUN_ID)["trigger_report"]
    if not (report["end_date"] and trigger["end_date"] and trigger["end_date"] >= report["end_date"]):
        fail(f"trigger_report ended at {trigger['end_date']}, before the report it started ended ({report['end_date']})",
             "wait_for_completion=True: the task ends when the report run does")


@pytest.mark.points(2)
@pytest.mark.timeout(WAIT + 15)
def test_latest_only_skips_notifications_in_a_backfill(scheduler_work):
    """A backfill of a past day rebuilds its tables but skips notify_customers (LatestOnly)"""
    scheduler_work.problem("backfill")  # only this test needs the backfill
    runs = scheduler_work.runs(LATEST, "backfill", 1, timeout=WAIT)
    run = runs[0]
    check(run["logical_date"].startswith(f"{BACKFILL_DAY:%Y-%m-%d}"), f"the backfill ran {run['logical_date']}")
    states = {task: ti["state"] for task, ti in scheduler_work.task_states(LATEST, run["dag_run_id"]).items()}
    check_equal(states.get("notify_customers"), "skipped",
                "notify_customers in the backfill of a past day (customers must not get last week's e-mail again)",
                "LatestOnlyOperator upstream of notify_customers")
    check_equal(states.get("build_tables"), "success", "build_tables in the backfill (replaying a day must rebuild it)",
                "LatestOnly upstream of notify_customers only: what it precedes is skipped in old runs")
    check_equal(run["state"], "success", "the backfill run's state")


@pytest.mark.points(2)
@pytest.mark.timeout(WAIT + 15)
def test_latest_only_notifies_in_the_latest_scheduled_run(scheduler_work):
    """The scheduler's latest run (today's) passes the LatestOnly gate (task latest_only) and runs notify_customers"""
    runs = scheduler_work.runs(LATEST, "scheduled", 1, timeout=WAIT)
    run = runs[-1]
    states = {task: ti["state"] for task, ti in scheduler_work.task_states(LATEST, run["dag_run_id"]).items()}
    check_equal(states.get("latest_only"), "success", "the LatestOnly task latest_only in the latest scheduled run",
                'LatestOnlyOperator(task_id="latest_only") >> notify_customers')
    check_equal(states.get("notify_customers"), "success", f"notify_customers in the latest scheduled run ({run['logical_date']})")
    check_equal(run["state"], "success", "the latest run's state")

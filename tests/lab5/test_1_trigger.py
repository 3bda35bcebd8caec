"""Lab 5 · explicit triggering: the pipeline starts the report for its own day.

Under dag.test() there is no scheduler: the report run the trigger creates stays queued,
which is exactly what a fire-and-forget trigger leaves behind. The tests read that run
(its logical date and conf), then run it themselves.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest

from labkit.grading.checks import check, check_equal
from labkit.grading.fixtures import find_dag, run_dag
from tests.lab5.helpers import PIPELINE, REPORT, WAITING, WAITS_FOREVER, returned, runs_of, task_of

DAY = pendulum.datetime(2026, 3, 10, tz="UTC")
RERUN_DAY = pendulum.datetime(2026, 3, 11, tz="UTC")
CONF_HINT = 'conf={"orders_date": "{{ ds }}", "triggered_by": "{{ run_id }}"}: templates, rendered when the task runs'


@pytest.fixture(scope="module")
def pipeline_run(pipeline_dag):
    """One run of lab5_orders_pipeline for DAY (loads the orders, triggers the report)."""
    return run_dag(pipeline_dag, logical_date=DAY)


def _report_run(pipeline_run):
    check(pipeline_run.succeeded, f"{PIPELINE} should succeed for {DAY:%Y-%m-%d}\n{pipeline_run.summary()}")
    reports = runs_of(REPORT, DAY)
    if not reports:
        elsewhere = ", ".join(f"{r.logical_date:%Y-%m-%d %H:%M}" for r in runs_of(REPORT) if r.logical_date) or "none"
        check(False, f"no {REPORT} run for {DAY:%Y-%m-%d}, the pipeline's day (report runs found for: {elsewhere})",
              'pass logical_date="{{ logical_date }}": without it the report runs for "now", not for the day the pipeline loaded')
    return reports[-1]


@pytest.mark.points(3)
@pytest.mark.if_stuck(WAITS_FOREVER)
def test_the_report_is_queued_for_the_same_day_with_its_conf(pipeline_run):
    """lab5_orders_pipeline succeeds and leaves a report run queued for ITS logical date, with orders_date and triggered_by in the conf"""
    report = _report_run(pipeline_run)
    check_equal(report.run_type, "operator_triggered", "the report run's type (a run created by TriggerDagRunOperator)")
    check_equal(report.conf.get("orders_date"), "2026-03-10", "conf['orders_date'] (the pipeline's day, YYYY-MM-DD)", CONF_HINT)
    check_equal(report.conf.get("triggered_by"), pipeline_run.run_id, "conf['triggered_by'] (the pipeline run's id)", CONF_HINT)
    check_equal(report.state, "queued", "the report run's state: fire and forget leaves it to the scheduler")


@pytest.mark.points(2)
@pytest.mark.if_stuck(WAITS_FOREVER)
def test_the_report_run_succeeds_with_that_conf(pipeline_run, report_dag):
    """The queued report run, run with the conf it received, succeeds and reports the pipeline's day"""
    report = _report_run(pipeline_run)
    ran = run_dag(report_dag, logical_date=DAY, run_conf=report.conf)
    check(ran.succeeded, f"{REPORT} failed with the conf {report.conf}\n{ran.summary()}",
          "the report's params are strings: pass the templates as strings")
    check_equal(returned(REPORT, ran.run_id, "build_report"),
                {"orders_date": "2026-03-10", "logical_date": DAY.isoformat()}, "what the report's build_report returned")


@pytest.mark.points(2)
@pytest.mark.if_stuck(WAITS_FOREVER)
def test_rerunning_a_day_replaces_its_report(pipeline_dag):
    """Running the pipeline twice for one day succeeds both times and leaves one report run for that day (reset_dag_run)"""
    for attempt in ("first", "second"):
        ran = run_dag(pipeline_dag, logical_date=RERUN_DAY)
        check(ran.succeeded, f"the {attempt} run of {PIPELINE} for {RERUN_DAY:%Y-%m-%d} failed\n{ran.summary()}",
              "reset_dag_run=True: a rerun (a fix, a backfill) clears the day's report run instead of failing on it")
    check_equal(len(runs_of(REPORT, RERUN_DAY)), 1, f"{REPORT} runs for {RERUN_DAY:%Y-%m-%d}")


@pytest.mark.points(1)
def test_only_the_waiting_pipeline_waits_and_never_forever(pipeline_module):
    """lab5_orders_pipeline fires and forgets; lab5_orders_pipeline_and_wait waits, polling every few seconds, with a timeout"""
    forget = task_of(find_dag(pipeline_module, PIPELINE), "trigger_report")
    wait = task_of(find_dag(pipeline_module, WAITING), "trigger_report")
    check(not forget.wait_for_completion, f"{PIPELINE}'s trigger waits for the report: it should fire and forget")
    check(wait.wait_for_completion, f"{WAITING}'s trigger does not wait for the report (wait_for_completion=True)")
    check(wait.poke_interval <= 10, f"{WAITING} checks the report every {wait.poke_interval} s",
          "poke_interval of a few seconds: the report takes seconds")
    check(wait.execution_timeout is not None and wait.execution_timeout <= timedelta(hours=1),
          f"{WAITING}'s trigger has execution_timeout={wait.execution_timeout}",
          "a waiting task holds a worker slot: give it an execution_timeout (minutes), or a stuck report holds it forever")

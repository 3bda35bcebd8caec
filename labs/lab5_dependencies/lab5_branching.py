# Generated from dags/lab5_branching.py by `labkit release`: edit the parts marked TODO.
"""Lab 5 · branching: choose what runs by a Variable and by the logical date, then join.

Two decisions, made by `@task.branch` tasks that return the task id(s) to run next (every
other direct downstream task is skipped):

1. **By a Variable** (as in the course): `lab5_mode` = "dev" skips triggering the report,
   so a development copy of the pipeline never starts production work.
2. **By the logical date**: on Mondays the weekly summary runs too. The course branched on
   `datetime.now().hour` — wall-clock time, so a rerun or a backfill of last Monday takes
   whatever branch *today* says. The logical date is the day the run is about: the same
   answer every time the run is repeated.

The join after a branch must not wait for *all* upstream tasks to succeed (one of them was
skipped on purpose): `none_failed_min_one_success` runs it when nothing failed.
"""
from __future__ import annotations

from datetime import datetime

import pendulum

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import TriggerRule, Variable, dag, task

MODE_VARIABLE = "lab5_mode"


def next_by_mode(mode: str) -> str:
    """The task that follows the mode check: "trigger_report" in prod, "skip_trigger" in dev."""
    # TODO: "skip_trigger" when mode is "dev" (ignore case and spaces), else "trigger_report" — an unknown mode must not silently run production work, so raise ValueError for anything but prod/dev
    raise NotImplementedError('TODO: "skip_trigger" when mode is "dev" (ignore case and spaces), else "trigger_report" — an unknown mode must not silently run production work, so raise ValueError for anything but prod/dev')


def summaries_for(logical_date: datetime) -> list[str]:
    """The summaries this run builds: "daily_summary", plus "weekly_summary" on Mondays."""
    # TODO: decide from logical_date (never datetime.now()): Monday is weekday() == 0
    raise NotImplementedError('TODO: decide from logical_date (never datetime.now()): Monday is weekday() == 0')


@dag(schedule="@daily", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["lab5"])
def lab5_branching():
    @task.branch
    def check_mode() -> str:
        return next_by_mode(Variable.get(MODE_VARIABLE, default="prod"))

    @task.branch
    def choose_summaries(logical_date=None) -> list[str]:
        return summaries_for(logical_date)

    trigger = TriggerDagRunOperator(
        task_id="trigger_report",
        trigger_dag_id="lab5_orders_report",
        conf={"orders_date": "{{ ds }}", "triggered_by": "{{ run_id }}"},
        logical_date="{{ logical_date }}",
        reset_dag_run=True,
    )
    skip = EmptyOperator(task_id="skip_trigger")
    daily, weekly = EmptyOperator(task_id="daily_summary"), EmptyOperator(task_id="weekly_summary")
    done = EmptyOperator(task_id="done")  # TODO: which trigger_rule lets it run after a skipped branch?

    check_mode() >> [trigger, skip] >> done
    choose_summaries() >> [daily, weekly] >> done


lab5_branching()

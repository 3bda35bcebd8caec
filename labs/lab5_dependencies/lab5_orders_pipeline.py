# Generated from dags/lab5_orders_pipeline.py by `labkit release`: edit the parts marked TODO.
"""Lab 5 · explicit triggering: load the day's orders, then start the report for the same day.

Explicit (TriggerDagRunOperator): the upstream DAG knows its downstream and starts it.
Use it when one team owns both and the order is "A, then B"; the reactive way (a sensor in
B waiting for A, see lab5_reactive.py) suits a B that belongs to someone else.

Two versions of the same pipeline:
- `lab5_orders_pipeline` fires and forgets: it succeeds as soon as the report is queued;
- `lab5_orders_pipeline_and_wait` waits for the report to finish (`wait_for_completion`),
  so a failed report fails the pipeline too — at the price of a task slot held while it
  waits (with `poke_interval` and a timeout: never wait forever).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import dag, task

REPORT_DAG_ID = "lab5_orders_report"
START = pendulum.datetime(2026, 1, 1, tz="UTC")


def report_conf() -> dict[str, str]:
    """The conf the report run receives (templates: rendered when the task runs)."""
    # TODO: {"orders_date": the run's date as YYYY-MM-DD (the template "{{ ds }}"), "triggered_by": this run's id ("{{ run_id }}")}
    raise NotImplementedError('TODO: {"orders_date": the run\'s date as YYYY-MM-DD (the template "{{ ds }}"), "triggered_by": this run\'s id ("{{ run_id }}")}')


def trigger_report(*, wait: bool) -> TriggerDagRunOperator:
    """The task that starts the report for this run's day."""
    # TODO: TriggerDagRunOperator(task_id="trigger_report", trigger_dag_id=REPORT_DAG_ID, conf=report_conf(), logical_date="{{ logical_date }}" (the same day, not "now"; Airflow 2 called it execution_date), reset_dag_run=True (a rerun replaces the report's run instead of failing on a duplicate), wait_for_completion=wait, poke_interval=2, execution_timeout=timedelta(minutes=10))
    raise NotImplementedError('TODO: TriggerDagRunOperator(task_id="trigger_report", trigger_dag_id=REPORT_DAG_ID, conf=report_conf(), logical_date="{{ logical_date }}" (the same day, not "now"; Airflow 2 called it execution_date), reset_dag_run=True (a rerun replaces the report\'s run instead of failing on a duplicate), wait_for_completion=wait, poke_interval=2, execution_timeout=timedelta(minutes=10))')


@task
def load_orders(ds=None) -> int:
    print(f"loading the orders of {ds}")
    return 42


@dag(schedule="@daily", start_date=START, catchup=False, tags=["lab5"])
def lab5_orders_pipeline():
    load_orders() >> trigger_report(wait=False)


@dag(schedule=None, start_date=START, catchup=False, tags=["lab5"])
def lab5_orders_pipeline_and_wait():
    load_orders() >> trigger_report(wait=True)


lab5_orders_pipeline()
lab5_orders_pipeline_and_wait()

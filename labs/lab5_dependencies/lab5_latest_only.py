# Generated from dags/lab5_latest_only.py by `labkit release`: edit the parts marked TODO.
"""Lab 5 · LatestOnly and `all_done`: what a replay of history must not redo, and cleaning up anyway.

Replaying past days (a backfill: `airflow backfill create`, or POST /api/v2/backfills)
should rebuild the tables of those days, but must not e-mail customers five times about
last week. `LatestOnlyOperator` lets its downstream run only in the newest scheduled run;
in older (backfill, catch-up) runs it skips them.

`cleanup` removes the run's scratch files whatever happened: `trigger_rule="all_done"`
runs it after its upstream tasks finish, failed or not. The catch the course showed: if
`cleanup` is the DAG's only leaf, its success makes the whole run "success" even when
`publish` failed. `watcher` (`one_failed`, raising) keeps failures visible.
"""
from __future__ import annotations

import pendulum

from airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowFailException


@dag(schedule="@daily", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["lab5"])
def lab5_latest_only():
    @task
    def build_tables(ds=None) -> str:
        print(f"rebuilding the tables of {ds}")
        return ds

    @task
    def publish(ds=None, params=None) -> str:
        if (params or {}).get("fail_publish"):
            raise RuntimeError(f"publishing {ds} failed (asked for by the run's conf)")
        return ds

    @task
    def notify_customers(ds=None) -> str:
        print(f"e-mail: the numbers of {ds} are ready")
        return ds

    build_tables() >> publish()  # TODO: LatestOnly before notify_customers; cleanup (all_done) and watcher (one_failed) after both
    notify_customers()


lab5_latest_only()

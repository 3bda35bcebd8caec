# Generated from dags/lab5_reactive.py by `labkit release`: edit the parts marked TODO.
"""Lab 5 · reactive triggering: wait for another DAG's task with an ExternalTaskSensor.

The finance team's DAG needs the day's orders loaded by `lab5_orders_pipeline`, a DAG it
does not own. Instead of asking that team to trigger it, it waits: the sensor checks that
`lab5_orders_pipeline.load_orders` succeeded **for the same logical date**.

The matching rule is the lesson: the sensor looks for the upstream run whose logical date
equals its own (minus `execution_delta`). Two daily DAGs at midnight match; a DAG at 01:00
waiting for one at 00:00 needs `execution_delta=timedelta(hours=1)`; a weekly DAG cannot
wait for "every day of the week" this way (different frequencies do not match).

`mode="reschedule"` gives the worker slot back between checks (a poking sensor holds one
for hours); `timeout` ends the wait as a failure, so a missing upstream is reported instead
of blocking forever. (Airflow 3.3 sometimes fails a reschedule-mode sensor whose poke
interval is seconds on a busy scheduler, apache/airflow#71172: clear it and it runs again.
Production sensors check every few minutes.)
"""
from __future__ import annotations

from datetime import timedelta

import pendulum

from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import dag, task

UPSTREAM_DAG_ID = "lab5_orders_pipeline"
UPSTREAM_TASK_ID = "load_orders"
START = pendulum.datetime(2026, 1, 1, tz="UTC")


def wait_for_orders(*, offset: timedelta = timedelta(0), timeout: float = 60 * 60) -> ExternalTaskSensor:
    """A sensor that succeeds once the orders of this run's day are loaded."""
    # TODO: ExternalTaskSensor(task_id="wait_for_orders", external_dag_id=UPSTREAM_DAG_ID, external_task_id=UPSTREAM_TASK_ID, execution_delta=offset (how far the upstream's logical date lies before ours), mode="reschedule", poke_interval=5, timeout=timeout, allowed_states=["success"], failed_states=["failed", "upstream_failed"] (fail at once when the upstream failed, instead of waiting for the timeout))
    raise NotImplementedError('TODO: ExternalTaskSensor(task_id="wait_for_orders", external_dag_id=UPSTREAM_DAG_ID, external_task_id=UPSTREAM_TASK_ID, execution_delta=offset (how far the upstream\'s logical date lies before ours), mode="reschedule", poke_interval=5, timeout=timeout, allowed_states=["success"], failed_states=["failed", "upstream_failed"] (fail at once when the upstream failed, instead of waiting for the timeout))')


@task
def book_revenue(ds=None) -> str:
    print(f"booking the revenue of {ds}")
    return ds


@dag(schedule="@daily", start_date=START, catchup=False, tags=["lab5"])
def lab5_finance_daily():
    """Midnight, like the orders pipeline: the same logical date, no offset."""
    wait_for_orders() >> book_revenue()


@dag(schedule="0 1 * * *", start_date=START, catchup=False, tags=["lab5"])
def lab5_finance_at_one():
    """01:00: the orders run of the same day has a logical date one hour earlier."""
    wait_for_orders(offset=timedelta(hours=1)) >> book_revenue()


lab5_finance_daily()
lab5_finance_at_one()

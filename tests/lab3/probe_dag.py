"""A one-task DAG the alert tests run: it fails with a known error, alerting through your callbacks.

It sits in the DAGs folder beside your lab 3 files and imports `common.alerts` the way
your own DAGs do, so it exercises exactly the module you wrote.
"""
from datetime import timedelta

import pendulum

from airflow.sdk import dag, task

from common.alerts import task_failure_alert, task_retry_alert
from tests.lab3.helpers import PROBE_DAG_ID, PROBE_ERROR, PROBE_TASK_ID


@dag(
    dag_id=PROBE_DAG_ID,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
    default_args={
        "on_failure_callback": task_failure_alert,
        "on_retry_callback": task_retry_alert,
        "retries": 1,
        "retry_delay": timedelta(0),  # retried at once under dag.test()
    },
)
def lab3_alert_probe():
    @task(task_id=PROBE_TASK_ID)
    def load_budget():
        raise ValueError(PROBE_ERROR)

    load_budget()


lab3_alert_probe()

"""The class demo's "break it on purpose" button: a DAG that fails when asked to, and alerts.

Trigger it from the UI with `fail` ticked: the task fails (after one retry, so the retry
alert shows too) and lab 3's callbacks post both to the Slack fake, which `make demo`
prints in its terminal. Untick `fail` and the same DAG succeeds quietly. Only the demo
loads it (it is not a lab's reference DAG, and no test grades it).
"""
from datetime import timedelta
from typing import Any

import pendulum

from airflow.sdk import Param, dag, task

from common.alerts import task_failure_alert, task_retry_alert


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"fail": Param(True, type="boolean", description="fail on purpose, to see the Slack alerts")},
    default_args={
        "retries": 1,
        "retry_delay": timedelta(seconds=5),
        "on_failure_callback": task_failure_alert,
        "on_retry_callback": task_retry_alert,
    },
    tags=["demo"],
)
def demo_alert_drill() -> None:
    @task
    def load_partner_feed(params: dict[str, Any] | None = None) -> str:
        if params and params["fail"]:
            raise ConnectionError("partner feed answered 503 Service Unavailable (on purpose: demo_alert_drill)")
        return "feed loaded"

    load_partner_feed()


demo_alert_drill()

"""Lab 5 · the DAG another DAG starts: the daily orders report (given: nothing to write).

It has no schedule. `lab5_orders_pipeline` triggers it when the day's orders are loaded,
passing the day in `conf` and its own logical date, so both runs describe the same day.
"""
from __future__ import annotations

import pendulum

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"orders_date": Param("", type="string"), "triggered_by": Param("", type="string")},
    tags=["lab5"],
)
def lab5_orders_report():
    @task
    def build_report(params: dict, logical_date=None) -> dict:
        print(f"report for {params['orders_date']} (logical date {logical_date:%Y-%m-%d}), asked by {params['triggered_by']}")
        return {"orders_date": params["orders_date"], "logical_date": logical_date.isoformat()}

    build_report()


lab5_orders_report()

"""Lab 4: a DAG you start through the REST API, with a conf and a logical date (given: nothing to write).

    POST /api/v2/dags/lab4_triggered_report/dagRuns
    {"logical_date": "2026-03-01T00:00:00Z", "conf": {"region": "kr", "requested_by": "ops"}}

The run's conf arrives as `dag_run.conf` and, merged over the defaults below, as `params`.
The task returns what it received, so the caller can read it back from the XCom
`return_value` (GET …/taskInstances/report/xcomEntries/return_value) and see that the
values it sent are the ones the task used.
"""
from __future__ import annotations

import pendulum

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,  # runs only when someone (the API, the UI, another DAG) asks
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"region": Param("all", type="string"), "requested_by": Param("unknown", type="string")},
    tags=["lab4"],
)
def lab4_triggered_report():
    @task
    def report(params: dict, dag_run=None, logical_date=None) -> dict:
        print(f"report for region {params['region']}, requested by {params['requested_by']}, logical date {logical_date}")
        return {
            "conf": dict(dag_run.conf or {}),
            "params": {key: params[key] for key in ("region", "requested_by")},
            "logical_date": logical_date.isoformat() if logical_date else None,
        }

    report()


lab4_triggered_report()

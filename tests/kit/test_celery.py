"""A live Airflow on CeleryExecutor (issue 19's scale-out): the embedded PostgreSQL holds the
metadata and Celery's results, the embedded Redis is the broker, and one worker per queue runs
the tasks that name it. Graded from the task instances, as lab 7 will be."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from labkit.services import airflow_metadata, airflow_server, postgres, redis
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import wait_until

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(redis.binary() is None and not os.environ.get("LABKIT_CI"),
                       reason="no Redis binary here (apt-get install redis-tools); in CI it must run"),
]

DAG = '''
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def kit_queues():
    @task(queue="etl")
    def on_etl():
        return "etl"

    @task(queue="reports")
    def on_reports():
        return "reports"

    on_etl() >> on_reports()


kit_queues()
'''


def test_each_task_runs_on_the_worker_of_its_queue_and_nothing_is_left(tmp_path):
    dag_file = tmp_path / "kit_queues.py"
    dag_file.write_text(DAG)
    pg = postgres.start_embedded()
    broker = redis.start_embedded()
    try:
        meta = airflow_metadata.create(pg, f"kit_celery_{os.getpid()}", seed=False)
        settings = {
            **meta.env(),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker.url(),
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta.dsn,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": airflow_server.WORKER_HOSTNAME,
        }
        components = ("api-server", "scheduler", "dag-processor",
                      airflow_server.celery_worker("etl"), airflow_server.celery_worker("reports"))
        server = airflow_server.start(f"kit-celery-{os.getpid()}", [Path(dag_file)], settings=settings, components=components)
        try:
            server.wait_for_dags({"kit_queues"})
            server.api("PATCH", "dags/kit_queues", params={"update_mask": "is_paused"}, json={"is_paused": False})
            run_id = server.api("POST", "dags/kit_queues/dagRuns", json={"logical_date": None}).json()["dag_run_id"]
            deadline = time.monotonic() + 180
            while (state := server.api("GET", f"dags/kit_queues/dagRuns/{run_id}").json()["state"]) not in ("success", "failed"):
                assert time.monotonic() < deadline, f"the run is still {state}\n{server.log_tail(30)}"
                time.sleep(0.5)
            tis = server.api("GET", f"dags/kit_queues/dagRuns/{run_id}/taskInstances").json()["task_instances"]
            ran = {ti["task_id"]: (ti["state"], ti["queue"], ti["hostname"]) for ti in tis}
            assert ran == {"on_etl": ("success", "etl", "worker-etl"),
                           "on_reports": ("success", "reports", "worker-reports")}, server.log_tail(30)
            pids = dict(server.pids)
        finally:
            server.stop(grace=2, remove=True)
        assert set(pids) == set(components)
        assert wait_until(lambda: not any(_group_alive(pid) for pid in pids.values()), timeout=20), "a component outlived stop()"
    finally:
        broker.stop()
        pg.stop()


def test_a_queue_name_cannot_smuggle_arguments():
    with pytest.raises(ValueError, match="queue name"):
        airflow_server.celery_worker("etl --uid 0")

"""A live Airflow on CeleryExecutor (issue 19's scale-out): the embedded PostgreSQL holds the
metadata and Celery's results, the embedded Redis is the broker, and one worker per queue runs
the tasks that name it; task logs go to an S3 that enforces IAM, written by a user whose policy
allows the log prefix only. Graded from the task instances and the bucket, as lab 7 will be."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from labkit.services import airflow_metadata, airflow_server, postgres, redis, s3_iam
from labkit.services.airflow_server import _group_alive
from tests.kit.helpers import wait_until

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(redis.binary() is None and not os.environ.get("LABKIT_CI"),
                       reason="no Redis binary here (apt-get install redis-tools); in CI it must run"),
]

LOGS_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::airflow/logs/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::airflow"},
]}

DAG = '''
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def kit_queues():
    @task(queue="etl")
    def on_etl():
        print("extracted on the etl worker")
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
    s3 = s3_iam.start()
    try:
        s3.client(s3.admin).create_bucket(Bucket="airflow")
        writer = s3.user("airflow-logs", LOGS_ONLY)
        meta = airflow_metadata.create(pg, f"kit_celery_{os.getpid()}", seed=False)
        settings = {
            **meta.env(),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": broker.url(),
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta.dsn,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": airflow_server.WORKER_HOSTNAME,
            # Task logs at INFO (the kit's homes are quiet: a task's print() would leave an
            # empty log), uploaded to S3 by the worker when the task ends.
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
            "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": "s3://airflow/logs",
            "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": "aws_logs",
            "AIRFLOW_CONN_AWS_LOGS": json.dumps(s3.connection(writer)),
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
            # The etl worker's log is in the bucket, and the API server reads it from there.
            key = f"logs/dag_id=kit_queues/run_id={run_id}/task_id=on_etl/attempt=1.log"
            stored = s3.client(s3.admin).get_object(Bucket="airflow", Key=key)["Body"].read().decode()
            assert "extracted on the etl worker" in stored, stored[-2000:]
            shown = server.api("GET", f"dags/kit_queues/dagRuns/{run_id}/taskInstances/on_etl/logs/1",
                               params={"full_content": True}).json()["content"]
            assert any(f"s3://airflow/{key}" == line.get("event") for line in shown), shown[:5]
            assert any("extracted on the etl worker" in str(line.get("event")) for line in shown), shown[-5:]
            pids = dict(server.pids)
        finally:
            server.stop(grace=2, remove=True)
        assert set(pids) == set(components)
        assert wait_until(lambda: not any(_group_alive(pid) for pid in pids.values()), timeout=20), "a component outlived stop()"
    finally:
        s3_pid = s3._process.pid if s3._process else None
        s3.stop()
        broker.stop()
        pg.stop()
    assert s3_pid is None or not _group_alive(s3_pid), "the S3 outlived stop()"
    assert not broker.healthy(), "Redis outlived stop()"


def test_a_queue_name_cannot_smuggle_arguments():
    with pytest.raises(ValueError, match="queue name"):
        airflow_server.celery_worker("etl --uid 0")

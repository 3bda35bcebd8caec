"""Lab 5 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import time
from datetime import timedelta

import pendulum
import pytest

from labkit.grading.checks import check, check_equal
from labkit.grading.fixtures import find_dag, run_dag
from tests.lab5.helpers import PIPELINE, task_of

FAILED_UPSTREAM_DAY = pendulum.datetime(2026, 3, 25, tz="UTC")


@pytest.mark.points(1)
@pytest.mark.timeout(40)
def test_a_failed_upstream_fails_the_sensor_at_once(probes, pipeline_dag):
    """When the day's load_orders failed, the sensor fails at once (failed_states) instead of waiting for its timeout"""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    ran = run_dag(pipeline_dag, logical_date=FAILED_UPSTREAM_DAY)
    check(ran.succeeded, f"the upstream {PIPELINE} did not run:\n{ran.summary()}")
    with create_session() as session:  # the day's load failed (as if the source had been down)
        session.query(TaskInstance).filter_by(dag_id=PIPELINE, run_id=ran.run_id, task_id="load_orders").update({"state": "failed"})
    started = time.monotonic()
    probe = run_dag(probes["lab5_probe_patient"], logical_date=FAILED_UPSTREAM_DAY)
    seconds = time.monotonic() - started
    check(probe.state == "failed", f"the upstream failed, so the sensor should fail\n{probe.summary()}")
    check(seconds < 10, f"the sensor took {seconds:.0f} s to fail (its timeout is 15 s): it waited for a run that had already failed",
          'failed_states=["failed", "upstream_failed"]')


@pytest.mark.points(1)
def test_the_finance_dags_wait_for_the_right_day_within_the_hour(reactive_module):
    """lab5_finance_daily matches the same logical date, lab5_finance_at_one one hour earlier; both give up within the hour"""
    daily = task_of(find_dag(reactive_module, "lab5_finance_daily"), "wait_for_orders")
    at_one = task_of(find_dag(reactive_module, "lab5_finance_at_one"), "wait_for_orders")
    check(not daily.execution_delta, f"lab5_finance_daily waits with execution_delta={daily.execution_delta}: both run at midnight")
    check_equal(at_one.execution_delta, timedelta(hours=1), "lab5_finance_at_one's execution_delta")
    for name, sensor in (("lab5_finance_daily", daily), ("lab5_finance_at_one", at_one)):
        check(sensor.timeout <= 3600, f"{name}'s sensor times out after {sensor.timeout} s", "timeout=60 * 60 at most")

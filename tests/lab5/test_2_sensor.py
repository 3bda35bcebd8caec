"""Lab 5 · reactive triggering: your sensor waits for the orders of ITS day, and not forever.

The probe DAGs (probe_dags.py) build their sensor with your wait_for_orders(timeout=1),
checking every second.
The upstream is your lab5_orders_pipeline, run with dag.test() for the day in question.
"""
from __future__ import annotations

import time
from datetime import timedelta

import pendulum
import pytest

from labkit.grading.checks import check, fail
from labkit.grading.fixtures import find_dag, run_dag
from tests.lab5.helpers import PIPELINE, WAITS_FOREVER, task_of

SAME_DAY = pendulum.datetime(2026, 3, 12, tz="UTC")
NO_UPSTREAM_DAY = pendulum.datetime(2026, 3, 13, tz="UTC")  # the pipeline never runs for it
OFFSET_DAY = pendulum.datetime(2026, 3, 14, tz="UTC")
TIMEOUT_HINT = ("pass timeout=timeout to ExternalTaskSensor: its default is 7 days, and a sensor whose upstream "
                "never runs should fail within the hour, not hold a slot for a week")


def _upstream(pipeline_dag, day) -> None:
    ran = run_dag(pipeline_dag, logical_date=day)
    check(ran.succeeded, f"the upstream {PIPELINE} did not run for {day:%Y-%m-%d}, so the sensor cannot be tried:\n{ran.summary()}")


def _sensor(probes, dag_id):
    return task_of(probes[dag_id], "wait_for_orders")


@pytest.mark.points(2)
@pytest.mark.if_stuck(WAITS_FOREVER)
def test_sensor_succeeds_once_the_days_orders_are_loaded(probes, pipeline_dag):
    """Once lab5_orders_pipeline.load_orders succeeded for a day, a sensor run for that same day succeeds"""
    _upstream(pipeline_dag, SAME_DAY)
    ran = run_dag(probes["lab5_probe_same_day"], logical_date=SAME_DAY)
    check(ran.succeeded, f"the sensor should find {PIPELINE}.load_orders done for {SAME_DAY:%Y-%m-%d}\n{ran.summary()}",
          "external_dag_id=UPSTREAM_DAG_ID, external_task_id=UPSTREAM_TASK_ID, allowed_states=['success']")


@pytest.mark.points(2)
def test_sensor_without_upstream_fails_at_its_timeout(probes):
    """With no upstream run for its day, wait_for_orders(timeout=1) fails with a sensor timeout within seconds"""
    sensor = _sensor(probes, "lab5_probe_same_day")
    # Checked before running: a sensor without the timeout would wait 7 days.
    check(sensor.timeout <= 1, f"wait_for_orders(timeout=1) built a sensor with timeout={sensor.timeout} s", TIMEOUT_HINT)
    started = time.monotonic()
    ran = run_dag(probes["lab5_probe_same_day"], logical_date=NO_UPSTREAM_DAY)
    seconds = time.monotonic() - started
    check(ran.state == "failed", f"nothing ran upstream on {NO_UPSTREAM_DAY:%Y-%m-%d}; the sensor should fail\n{ran.summary()}")
    error = ran.errors.get("wait_for_orders", "")
    check("SensorTimeout" in error or "timed out" in error,
          f"the sensor failed, but not by its timeout: {error}")
    check(seconds < 20, f"the sensor took {seconds:.0f} s to give up with timeout=1")


@pytest.mark.points(2)
@pytest.mark.if_stuck(WAITS_FOREVER)
def test_offset_schedules_match_with_execution_delta(probes, pipeline_dag):
    """A sensor run at 01:00 with offset=1 h finds the orders loaded by the 00:00 run of the same day"""
    sensor = _sensor(probes, "lab5_probe_one_hour_later")
    delta = getattr(sensor, "execution_delta", None)
    check(delta == timedelta(hours=1), f"wait_for_orders(offset=timedelta(hours=1)) built a sensor with execution_delta={delta}",
          "execution_delta=offset: how far the upstream's logical date lies before the sensor's")
    _upstream(pipeline_dag, OFFSET_DAY)
    ran = run_dag(probes["lab5_probe_one_hour_later"], logical_date=OFFSET_DAY + timedelta(hours=1))
    check(ran.succeeded, f"the 01:00 sensor should find the 00:00 orders of {OFFSET_DAY:%Y-%m-%d}\n{ran.summary()}")


@pytest.mark.points(1)
def test_sensor_gives_its_slot_back_between_checks(reactive_module):
    """wait_for_orders uses mode="reschedule" and checks every few seconds (a poking sensor holds a worker slot all along)"""
    sensor = task_of(find_dag(reactive_module, "lab5_finance_daily"), "wait_for_orders")
    if sensor.mode != "reschedule":
        fail(f"the sensor's mode is {sensor.mode!r}: while it waits, it holds one of the worker's few slots",
             'mode="reschedule" frees the slot between checks')
    check(sensor.poke_interval <= 60, f"the sensor checks every {sensor.poke_interval} s", "poke_interval=5 for this lab")

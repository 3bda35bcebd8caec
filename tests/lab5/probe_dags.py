"""Sensor DAGs the reactive tests run: your `wait_for_orders`, with a timeout of seconds.

They sit in the DAGs folder beside your lab 5 files and build their sensor with the
function your own DAGs use, so they exercise exactly the code you wrote. A lab DAG's
sensor waits an hour; a test cannot.
"""
from datetime import timedelta

import pendulum

from airflow.sdk import dag

from lab5_reactive import wait_for_orders

PROBE_TIMEOUT = 1  # second: a missing upstream must fail the sensor this fast
START = pendulum.datetime(2026, 1, 1, tz="UTC")


def probe(**kwargs):
    """Your sensor, checking every second: a test has no time to wait out your poke_interval
    (test_sensor_gives_its_slot_back_between_checks checks the one you chose)."""
    sensor = wait_for_orders(**kwargs)
    sensor.poke_interval = min(sensor.poke_interval, 1)
    return sensor


@dag(schedule=None, start_date=START, catchup=False)
def lab5_probe_same_day():
    probe(timeout=PROBE_TIMEOUT)


@dag(schedule=None, start_date=START, catchup=False)
def lab5_probe_one_hour_later():
    probe(offset=timedelta(hours=1), timeout=PROBE_TIMEOUT)


@dag(schedule=None, start_date=START, catchup=False)
def lab5_probe_patient():
    """Patient enough that only failed_states can end it early (the hidden test)."""
    probe(timeout=15)


lab5_probe_same_day()
lab5_probe_one_hour_later()
lab5_probe_patient()

"""Lab 4 · health: every component judged by Airflow's status AND by how fresh its heartbeat is."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.helpers import client, closed_url

COMPONENTS = ["metadatabase", "scheduler", "dag_processor", "triggerer"]
WITH_HEARTBEAT = ["scheduler", "dag_processor", "triggerer"]


def _by_name(report) -> dict:
    return {c.name: c for c in report.components}


def _health_now(airflow) -> dict:
    return httpx.get(f"{airflow.url}/api/v2/monitor/health", timeout=10).json()


def _says_about(reason: str, seconds: float) -> bool:
    """Does `reason` state an age of about `seconds` (+2 min), as "612 s", "10.2 min" or "0:10:12"?"""
    low, high = seconds - 10, seconds + 120
    for h, m, s in re.findall(r"\b(\d+):(\d{2}):(\d{2})", reason):
        if low <= int(h) * 3600 + int(m) * 60 + int(s) <= high:
            return True
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(min|m\b)?", reason):
        value = float(number) * (60 if unit else 1)
        if low <= value <= high:
            return True
    return False


@pytest.mark.points(3)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_health_reports_every_component(api, airflow):
    """A healthy Airflow: every component reported with its status and heartbeat time; exit code 0"""
    outcome = finishes_within(30, lambda: api.check_health(client(api, airflow)), "check_health()")
    check(outcome.error is None, f"check_health() raised {type(outcome.error).__name__}: {outcome.error}",
          "a monitor reports; it never raises")
    report, truth = outcome.result, _health_now(airflow)
    found = _by_name(report)
    check_equal(sorted(found), sorted(COMPONENTS), "the components in the report")
    for name in COMPONENTS:
        check_equal(found[name].status, truth[name]["status"], f"{name}'s status")
        check(found[name].healthy, f"{name} is healthy with a fresh heartbeat but your report says: {found[name].reason!r}")
    for name in WITH_HEARTBEAT:
        beat = found[name].heartbeat
        check(isinstance(beat, datetime) and beat.tzinfo is not None,
              f"{name}'s heartbeat should be a timezone-aware datetime, got {beat!r}",
              "datetime.fromisoformat() on the latest_*_heartbeat value")
        api_beat = datetime.fromisoformat(truth[name][f"latest_{name}_heartbeat"])
        check(abs(beat - api_beat) < timedelta(seconds=30), f"{name}'s heartbeat {beat} is not the one Airflow reports ({api_beat})")
    check_equal((report.healthy, report.exit_code), (True, 0), "(healthy, exit_code) of a healthy Airflow")


@pytest.mark.points(3)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_healthy_but_stale_is_unhealthy(api, airflow):
    """Airflow says "healthy" but the heartbeats are 10 minutes old at `now`: CRITICAL (exit 2), the reason says how old"""
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    outcome = finishes_within(30, lambda: api.check_health(client(api, airflow), max_age=timedelta(seconds=60), now=later),
                              "check_health()")
    check(outcome.error is None, f"check_health() raised {type(outcome.error).__name__}: {outcome.error}")
    found, truth = _by_name(outcome.result), _health_now(airflow)
    for name in WITH_HEARTBEAT:
        check(name in found and not found[name].healthy,
              f"{name}: Airflow still says 'healthy', but its last heartbeat is ~10 minutes old: that is a hung {name}",
              "compare now - heartbeat with max_age, not only the status")
        reason = found[name].reason
        check(reason, f"{name} is unhealthy without a reason for the human who reads it")
        age = (later - datetime.fromisoformat(truth[name][f"latest_{name}_heartbeat"])).total_seconds()
        check(_says_about(reason, age), f"{name}'s reason should say how old its heartbeat is (about {age:.0f} s): {reason!r}",
              "put now - heartbeat in the reason, e.g. 'stale: last heartbeat 612 s ago (limit 60 s)'")
    check("metadatabase" in found and found["metadatabase"].healthy, "the metadata DB has no heartbeat: its status alone counts")
    check_equal(outcome.result.exit_code, 2, "the exit code (2 = CRITICAL)")


@pytest.mark.points(1)
def test_component_that_never_ran_is_unhealthy(api):
    """A component Airflow never saw (status null, no heartbeat) is unhealthy and says so"""
    now = datetime.now(timezone.utc)
    verdict = api.assess_component("triggerer", {"status": None, "latest_triggerer_heartbeat": None},
                                   now=now, max_age=timedelta(seconds=60))
    check(not verdict.healthy, "a triggerer that never ran was judged healthy")
    check(verdict.reason, "say why it is unhealthy (it never ran)")
    check_equal(verdict.heartbeat, None, "its heartbeat")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own waits (finishes_within) add up to 20 s
def test_unreachable_api_is_unknown(api):
    """No API server: check_health() returns a report with the error and exit code 3 (UNKNOWN), never raises"""
    url = closed_url()
    outcome = finishes_within(20, lambda: api.check_health(api.AirflowClient(url, "monitor", "irrelevant", timeout=3)),
                              "check_health() with no server")
    check(outcome.error is None, f"check_health() raised {type(outcome.error).__name__}: {outcome.error}",
          "catch AirflowAPIError and return HealthReport(error=str(error))")
    check_equal(outcome.result.exit_code, 3, "the exit code when Airflow cannot be asked (3 = UNKNOWN)")
    check(url in (outcome.result.error or ""), f"the report's error should name {url}: {outcome.result.error!r}")

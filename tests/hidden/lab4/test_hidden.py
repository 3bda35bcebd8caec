"""Lab 4 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.helpers import client


@pytest.mark.points(1)
@pytest.mark.timeout(100)  # three calls, each allowed 30 s
def test_the_token_is_reused_across_calls(api, airflow):
    """One login serves many calls: request() reuses the token instead of logging in each time"""
    monitor_client = client(api, airflow)
    first = monitor_client.token()
    for _ in range(3):
        outcome = finishes_within(30, lambda: monitor_client.request("GET", "/api/v2/dags", params={"limit": 1}), "request()")
        check(outcome.error is None, f"request() failed: {outcome.error}")
    # Every login gets a new JWT (it carries a random jti): a changed token means a new login.
    check_equal(monitor_client.token(), first, "the token after three calls (a new one means a login per call)")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # one call, allowed 30 s
def test_an_expired_token_is_renewed_once(api, airflow):
    """A token Airflow no longer accepts (expired, or signed before a restart) is replaced by one new login"""
    monitor_client = client(api, airflow)
    monitor_client.token()
    monitor_client._token = monitor_client._token[:-6] + "AAAAAA"  # a signature Airflow rejects
    outcome = finishes_within(30, lambda: monitor_client.request("GET", "/api/v2/dags", params={"limit": 1}), "request()")
    check(outcome.error is None, f"request() with a stale token failed instead of logging in again: {outcome.error}",
          "when Airflow rejects the token itself (401, or 403 'Invalid JWT token'), forget it and retry once")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_health_needs_no_password(api, airflow):
    """check_health() works with a wrong password: the health endpoint needs no login, and a rotated password must not blind the monitor"""
    wrong = api.AirflowClient(airflow.url, "monitor", "rotated-yesterday")
    outcome = finishes_within(30, lambda: api.check_health(wrong), "check_health()")
    check(outcome.error is None, f"check_health() raised {type(outcome.error).__name__}: {outcome.error}")
    check_equal(outcome.result.exit_code, 0, "the exit code of a healthy Airflow asked with a wrong password",
                "call /api/v2/monitor/health with authenticated=False")

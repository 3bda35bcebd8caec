"""Lab 1 · extract and transform: talk to the API safely, read `dt` in UTC."""
from __future__ import annotations

import time

import pytest
import requests

from labkit.grading.checks import check, check_equal, check_rows, fail
from tests.lab1.helpers import COLUMNS


def _call_expecting_failure(func, *args, **kwargs) -> BaseException:
    """Call func and return the exception it raised; not raising (or not being written) fails."""
    try:
        func(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as err:  # any exception is a correct way to fail here
        return err
    fail(f"{func.__name__} returned normally; it should have raised an exception")


@pytest.mark.points(1)
def test_fetch_returns_the_forecast(lab, weather_api):
    """fetch_forecast returns the API's JSON"""
    payload = lab.fetch_forecast(weather_api.url, weather_api.api_key)
    check(isinstance(payload, dict), f"fetch_forecast should return the decoded JSON (a dict), got {type(payload).__name__}")
    check_equal(payload.get("daily"), weather_api.payload(1)["daily"], "payload['daily']")


@pytest.mark.points(1)
def test_fetch_fails_on_http_errors(lab, weather_api):
    """fetch_forecast fails on an HTTP error instead of returning the error page"""
    weather_api.mode = "error"
    err = _call_expecting_failure(lab.fetch_forecast, weather_api.url, weather_api.api_key)
    check(
        not isinstance(err, (KeyError, TypeError)),
        f"fetch_forecast failed with {type(err).__name__} — it read the error body as if it were a forecast",
        "call response.raise_for_status() before response.json()",
    )
    weather_api.mode = "ok"
    _call_expecting_failure(lab.fetch_forecast, weather_api.url, "wrong-key")  # 401 must fail too


@pytest.mark.points(1)
@pytest.mark.timeout(12)
def test_fetch_gives_up_on_a_slow_api(lab, weather_api):
    """fetch_forecast uses its timeout (an API that never answers must not hang the task)"""
    weather_api.mode = "slow"  # the fake waits 30 s before answering
    started = time.monotonic()
    err = _call_expecting_failure(lab.fetch_forecast, weather_api.url, weather_api.api_key, timeout=1)
    took = time.monotonic() - started
    check(
        isinstance(err, requests.Timeout) or took < 10,
        f"fetch_forecast raised {type(err).__name__} after {took:.0f} s",
        "pass timeout=timeout to requests.get",
    )


@pytest.mark.points(1)
def test_transform_makes_one_row_per_day(lab, weather_api):
    """to_rows gives one (date, temp, min_temp, max_temp, summary) row per daily entry"""
    rows = [tuple(row) for row in lab.to_rows(weather_api.payload(1))]
    check_rows(rows, weather_api.expected_rows(1), what="to_rows(payload)", columns=COLUMNS)


@pytest.mark.points(1)
def test_transform_reads_dt_in_utc(lab, weather_api, monkeypatch):
    """to_rows converts dt in UTC, whatever the worker's time zone"""
    if not hasattr(time, "tzset"):
        pytest.skip("time zones cannot be switched on this OS")
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: noon UTC is already tomorrow here
    time.tzset()
    try:
        rows = [tuple(row) for row in lab.to_rows(weather_api.payload(1))]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    check_rows(
        rows,
        weather_api.expected_rows(1),
        what="to_rows(payload) on a worker in UTC+14",
        columns=COLUMNS,
        hint="datetime.fromtimestamp(dt) uses the machine's local time zone; pass tz=timezone.utc",
    )


@pytest.mark.points(1)
def test_transform_refuses_an_empty_forecast(lab):
    """to_rows refuses an empty forecast (loading nothing would look like success)"""
    _call_expecting_failure(lab.to_rows, {"daily": []})
    _call_expecting_failure(lab.to_rows, {"cod": 500, "message": "error"})

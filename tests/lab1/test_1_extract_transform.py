"""Lab 1 · extract and transform: talk to the API safely, read `dt` in UTC."""
from __future__ import annotations

import time

import pytest
import requests

from labkit.grading.checks import check, check_equal, check_rows, fail, finishes_within
from tests.lab1.helpers import COLUMNS


def _call_expecting_failure(func, *args, when: str = "", hint: str | None = None, **kwargs) -> BaseException:
    """Call func and return the exception it raised; not raising (or not being written) fails,
    saying on what input (`when`) it should have raised."""
    try:
        func(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as err:  # any exception is a correct way to fail here
        return err
    fail(f"{func.__name__} returned normally {when}; it should have raised an exception".replace("  ", " "), hint)


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
    err = _call_expecting_failure(lab.fetch_forecast, weather_api.url, weather_api.api_key,
                                  when="when the API answered HTTP 500", hint="call response.raise_for_status() before response.json()")
    check(
        not isinstance(err, (KeyError, TypeError)),
        f"fetch_forecast failed with {type(err).__name__} — it read the error body as if it were a forecast",
        "call response.raise_for_status() before response.json()",
    )
    weather_api.mode = "ok"
    _call_expecting_failure(lab.fetch_forecast, weather_api.url, "wrong-key", when="when the API answered HTTP 401 (wrong key)",
                            hint="call response.raise_for_status() before response.json()")


@pytest.mark.points(1)
@pytest.mark.timeout(12)
def test_fetch_gives_up_on_a_slow_api(lab, weather_api):
    """fetch_forecast uses its timeout (an API that never answers must not hang the task)"""
    weather_api.mode = "slow"  # the fake waits 30 s before answering
    hint = "pass timeout=timeout to requests.get"
    outcome = finishes_within(6, lambda: lab.fetch_forecast(weather_api.url, weather_api.api_key, timeout=1),
                              "fetch_forecast(timeout=1) against an API that never answers", hint)
    if isinstance(outcome.error, NotImplementedError):
        raise outcome.error
    check(outcome.error is not None, "fetch_forecast returned normally from an API that never answered", hint)
    check(isinstance(outcome.error, requests.Timeout) or outcome.seconds < 5,
          f"fetch_forecast raised {type(outcome.error).__name__} after {outcome.seconds:.0f} s", hint)


@pytest.mark.points(1)
def test_transform_makes_one_row_per_day(lab, weather_api):
    """to_rows gives one (date, temp, min_temp, max_temp, summary) row per daily entry"""
    rows = [tuple(row) for row in lab.to_rows(weather_api.payload(1))]
    check_rows(rows, weather_api.expected_rows(1), what="to_rows(payload)", columns=COLUMNS)


def _dates_on_a_worker_in(tz: str, lab, payload, monkeypatch) -> list[str]:
    """The dates to_rows gives with the machine's time zone set to `tz` (as text: YYYY-MM-DD)."""
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        return [str(row[0])[:10] for row in lab.to_rows(payload)]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.points(1)
def test_transform_reads_dt_in_utc(lab, weather_api, monkeypatch):
    """to_rows converts dt in UTC, whatever the worker's time zone"""
    if not hasattr(time, "tzset"):
        pytest.skip("time zones cannot be switched on this OS")
    payload = weather_api.payload(1)
    expected = [str(row[0]) for row in weather_api.expected_rows(1)]
    # Only the dates: the other values are the row test's business.
    far_east = _dates_on_a_worker_in("Pacific/Kiritimati", lab, payload, monkeypatch)  # UTC+14
    if far_east == expected:
        return
    in_utc = _dates_on_a_worker_in("UTC", lab, payload, monkeypatch)
    if in_utc == expected:
        fail(f"on a worker in UTC+14 the dates move: {', '.join(far_east[:3])}… instead of {', '.join(expected[:3])}…",
             "datetime.fromtimestamp(dt) uses the machine's local time zone; pass tz=timezone.utc")
    fail(f"the dates are not the days of dt even on a worker in UTC: {', '.join(in_utc[:3])}… instead of "
         f"{', '.join(expected[:3])}…",
         "each row's date is the day of its own `dt` (unix seconds): "
         "datetime.fromtimestamp(entry['dt'], tz=timezone.utc).date(), not today's date or a counter")


@pytest.mark.points(1)
def test_transform_refuses_an_empty_forecast(lab):
    """to_rows refuses an empty forecast (loading nothing would look like success)"""
    hint = "an empty forecast must fail the run: raise ValueError when payload['daily'] is missing or empty"
    _call_expecting_failure(lab.to_rows, {"daily": []}, when="for an empty forecast ({'daily': []})", hint=hint)
    _call_expecting_failure(lab.to_rows, {"cod": 500, "message": "error"}, when="for an error body without 'daily'", hint=hint)

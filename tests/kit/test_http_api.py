"""labkit.services.http_api: the local stand-in for the OpenWeather daily forecast."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from labkit.services import http_api
from labkit.services.http_api import WeatherAPI


@pytest.fixture
def api():
    started = WeatherAPI().start()
    yield started
    started.stop()


def get(api: WeatherAPI, **params) -> requests.Response:
    query = {"lat": 37.57, "lon": 126.98, "appid": api.api_key, **params}
    return requests.get(api.url, params=query, timeout=5)


def dates(payload: dict) -> list[date]:
    return [datetime.fromtimestamp(d["dt"], tz=timezone.utc).date() for d in payload["daily"]]


def test_values_are_deterministic_per_seed():
    assert WeatherAPI(seed=7).payload(1) == WeatherAPI(seed=7).payload(1)
    assert WeatherAPI(seed=7).payload(1)["daily"] != WeatherAPI(seed=8).payload(1)["daily"]


def test_a_forecast_is_eight_days_from_today_at_noon_utc():
    api = WeatherAPI(today=date(2026, 11, 1))
    payload = api.payload(1)
    assert dates(payload) == [date(2026, 11, 1) + timedelta(days=n) for n in range(8)]
    assert {datetime.fromtimestamp(d["dt"], tz=timezone.utc).hour for d in payload["daily"]} == {12}
    for entry in payload["daily"]:
        temp = entry["temp"]
        assert temp["min"] <= temp["day"] <= temp["max"]


def test_each_call_revises_the_forecast_for_the_same_dates():
    api = WeatherAPI()
    first, second = api.payload(1), api.payload(2)
    assert dates(first) == dates(second)  # without advance_daily the window stays put
    assert [d["temp"] for d in first["daily"]] != [d["temp"] for d in second["daily"]]


def test_advance_daily_moves_the_window_one_day_per_call():
    api = WeatherAPI(advance_daily=True)
    first, third = dates(api.payload(1)), dates(api.payload(3))
    assert third[0] == first[0] + timedelta(days=2)
    assert len(set(first) & set(third)) == 6  # overlapping runs: what lab 1 dedupes


def test_expected_rows_are_what_a_correct_transform_gives():
    api = WeatherAPI()
    rows = api.expected_rows(2)
    entry = api.payload(2)["daily"][0]
    assert rows[0] == (api.today, entry["temp"]["day"], entry["temp"]["min"], entry["temp"]["max"], entry["summary"])
    assert len(rows) == 8


def test_http_answers_call_after_call_with_new_revisions(api):
    first, second = get(api), get(api)
    assert first.status_code == second.status_code == 200
    assert first.json() == api.payload(1)
    assert second.json() == api.payload(2)
    assert (api.calls, api.requests) == (2, 2)


def test_error_mode_answers_500(api):
    api.mode = "error"
    response = get(api)
    assert response.status_code == 500
    assert "told to fail" in response.json()["message"]
    assert (api.calls, api.requests) == (0, 1)  # a failed call is no new revision


def test_empty_mode_answers_no_daily_entries(api):
    api.mode = "empty"
    response = get(api)
    assert response.status_code == 200
    assert response.json()["daily"] == []


def test_a_wrong_key_answers_401(api):
    response = get(api, appid="not-the-key")
    assert response.status_code == 401
    assert "Invalid API key" in response.json()["message"]


def test_garbage_mode_answers_html(api):
    api.mode = "garbage"
    response = get(api)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html"
    assert response.text == "<html>maintenance</html>"
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_slow_mode_outlasts_a_client_timeout(api):
    api.mode = "slow"
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(api.url, params={"lat": 1, "lon": 2, "appid": api.api_key}, timeout=0.5)
    assert time.monotonic() - started < 3


def test_missing_coordinates_and_wrong_paths_are_refused(api):
    assert requests.get(api.url, params={"appid": api.api_key}, timeout=5).status_code == 400
    assert requests.get(api.url.replace("onecall", "weather"), timeout=5).status_code == 404


def test_env_points_airflow_variables_at_the_fake(api):
    env = api.env()
    assert env["AIRFLOW_VAR_WEATHER_API_URL"] == env["LABKIT_WEATHER_API_URL"] == api.url
    assert api.url.startswith("http://127.0.0.1:") and api.url.endswith(http_api.FORECAST_PATH)
    assert env["AIRFLOW_VAR_WEATHER_API_KEY"] == api.api_key


def test_stop_closes_the_port():
    api = WeatherAPI().start()
    url = api.url
    api.stop()
    assert not api.healthy()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)

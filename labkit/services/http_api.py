"""A local stand-in for the OpenWeather One Call 2.5 daily forecast the course used.

The real endpoint is discontinued and needs a key and the internet; this one serves the
same shape (`daily[].dt`, `daily[].temp.{day,min,max}`) on 127.0.0.1. Like a real
forecast, values are revised between calls: call N for a date differs from call N-1.
Everything is deterministic given the seed, so tests can predict every value.

Tests steer it in-process (`api.today`, `api.mode`); other processes see only HTTP.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labkit.services._net import address, reply, serve, shut

FORECAST_PATH = "/data/2.5/onecall"
SEOUL = (37.5665, 126.9780)
MODES = ("ok", "error", "empty", "slow", "garbage")


@dataclass
class WeatherAPI:
    """A running fake. `mode`: ok | error (HTTP 500) | empty (`daily: []`) | slow | garbage."""

    seed: int = 2026
    today: date = date(2026, 11, 1)
    days: int = 8
    mode: str = "ok"
    api_key: str = field(default_factory=lambda: secrets.token_hex(8))
    advance_daily: bool = False  # call N starts N-1 days after `today`, like a daily schedule
    summaries: list[str] | None = None  # override the daily `summary` texts (e.g. with apostrophes)
    calls: int = 0  # successful forecast answers (each one is a new revision)
    requests: int = 0  # every forecast request, failed ones included
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    # Where to listen (defaults: a free port of 127.0.0.1) and the base URL other machines use
    # (a container's `http://kit-services:8093`); None: the address it listens on.
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None

    # -- the data -------------------------------------------------------------------------
    def temperature(self, day: date, revision: int) -> dict[str, float]:
        """Deterministic temperatures for `day` as forecast at call number `revision`."""
        digest = hashlib.sha256(f"{self.seed}:{day.isoformat()}:{revision}".encode()).digest()
        base = 5 + (digest[0] % 200) / 10  # 5.0 .. 24.9 °C
        spread = 2 + (digest[1] % 80) / 10  # 2.0 .. 9.9 °C
        return {
            "day": round(base, 2),
            "min": round(base - spread / 2, 2),
            "max": round(base + spread / 2, 2),
            "night": round(base - spread / 3, 2),
        }

    def summary(self, offset: int, temp: dict[str, float]) -> str:
        if self.summaries:
            return self.summaries[offset % len(self.summaries)]
        return "Expect a mild day" if temp["day"] >= 15 else "Expect a cold day with clouds"

    def payload(self, revision: int | None = None) -> dict[str, Any]:
        """What the next call answers (or call number `revision`)."""
        revision = self.calls + 1 if revision is None else revision
        first = self.today + timedelta(days=revision - 1 if self.advance_daily else 0)
        daily = []
        for offset in range(self.days):
            day = first + timedelta(days=offset)
            # Noon UTC, as OpenWeather does: the date is unambiguous in UTC but a
            # worker that converts in local time east of UTC+12 would see the next day.
            dt = int(datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp())
            temp = self.temperature(day, revision)
            daily.append({"dt": dt, "summary": self.summary(offset, temp), "temp": temp, "humidity": 40 + offset})
        return {"lat": SEOUL[0], "lon": SEOUL[1], "timezone": "Asia/Seoul", "timezone_offset": 32400, "daily": daily}

    def expected_rows(self, revision: int) -> list[tuple[date, float, float, float, str]]:
        """(date, temp, min_temp, max_temp, summary) rows a correct ETL loads from call `revision`."""
        rows = []
        for entry in self.payload(revision)["daily"]:
            day = datetime.fromtimestamp(entry["dt"], tz=timezone.utc).date()
            t = entry["temp"]
            rows.append((day, t["day"], t["min"], t["max"], entry["summary"]))
        return rows

    # -- HTTP ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        if self.public_url:
            return self.public_url.rstrip("/") + FORECAST_PATH
        host, port = address(self._server)
        return f"http://{host}:{port}{FORECAST_PATH}"

    def start(self) -> WeatherAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                api._handle(self)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self._server = serve(Handler, "weather-api", self.host, self.port)
        return self

    def stop(self) -> None:
        shut(self._server)
        self._server = None

    def healthy(self) -> bool:
        return self._server is not None

    def env(self) -> dict[str, str]:
        # The key's Variable name contains "api_key": Airflow masks it in the UI and logs.
        return {
            "LABKIT_WEATHER_API_URL": self.url,
            "AIRFLOW_VAR_WEATHER_API_URL": self.url,
            "AIRFLOW_VAR_WEATHER_API_KEY": self.api_key,
        }

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != FORECAST_PATH:
            return reply(request, 404, {"cod": 404, "message": "Not found: the forecast is at " + FORECAST_PATH})
        self.requests += 1
        if query.get("appid") != self.api_key:
            return reply(request, 401, {"cod": 401, "message": "Invalid API key (pass it as ?appid=...)"})
        if "lat" not in query or "lon" not in query:
            return reply(request, 400, {"cod": "400", "message": "Nothing to geocode: pass lat and lon"})
        if self.mode == "error":
            return reply(request, 500, {"cod": 500, "message": "Internal error (the fake was told to fail)"})
        if self.mode == "slow":
            threading.Event().wait(30)  # longer than any sensible client timeout
        if self.mode == "garbage":
            return reply(request, 200, "<html>maintenance</html>", content_type="text/html")
        self.calls += 1
        body = self.payload(self.calls)
        if self.mode == "empty":
            body["daily"] = []
        reply(request, 200, body)


def start(**kwargs: Any) -> WeatherAPI:
    return WeatherAPI(**kwargs).start()

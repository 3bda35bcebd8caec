# Generated from dags/monitoring/airflow_api.py by `labkit release`: edit the parts marked TODO.
"""A small client for the Airflow 3 REST API: what a monitoring script needs (API & 모니터링).

The course called Airflow 2's `/health` and `/api/v1` with basic auth. Airflow 3 moved all
of it:

    Airflow 2                          Airflow 3
    GET /health                        GET /api/v2/monitor/health   (no login needed)
    /api/v1/...                        /api/v2/...
    basic auth (user, password)        POST /auth/token → "Authorization: Bearer <JWT>"
    "execution_date" in a DAG run      "logical_date" (required, may be null)

Every call has a timeout and every failure becomes an `AirflowAPIError` whose message says
what happened and what to check: a monitor that hangs, or dies with a traceback at 3 a.m.,
is worse than none. Credentials come from the environment, never from this file.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

TIMEOUT_SECONDS = 10.0  # the API answers in milliseconds; ten seconds means something is wrong
MASK = "***"  # how Airflow returns the value of a secret-looking Variable
FINAL_STATES = ("success", "failed")

# Nagios exit codes, which cron wrappers, Datadog and Grafana agents all understand.
OK, CRITICAL, UNKNOWN = 0, 2, 3
COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
MAX_HEARTBEAT_AGE = timedelta(seconds=60)


class AirflowAPIError(RuntimeError):
    """A call failed. The message says what to check; `status` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def describe_error(response: httpx.Response, username: str) -> str:
    """One line for a failed response: status, what it means here, and Airflow's own reason."""
    # TODO: "<METHOD> <path> → <status>: " + a sentence for 401 (credentials of `username` rejected: check AIRFLOW_API_PASSWORD), 403 (`username` may not do this), 404 (not found), 422 (request refused) + Airflow's "detail" (a string, or a list of {loc, msg} for 422; a body that is not JSON, e.g. a proxy's HTML error page: its text on one line, cut short). Never include the password.
    raise NotImplementedError('TODO: "<METHOD> <path> → <status>: " + a sentence for 401 (credentials of `username` rejected: check AIRFLOW_API_PASSWORD), 403 (`username` may not do this), 404 (not found), 422 (request refused) + Airflow\'s "detail" (a string, or a list of {loc, msg} for 422; a body that is not JSON, e.g. a proxy\'s HTML error page: its text on one line, cut short). Never include the password.')


@dataclass
class AirflowClient:
    """Talks to one Airflow API server as one user. Reuses its token until Airflow rejects it."""

    base_url: str
    username: str
    password: str = field(repr=False)
    timeout: float = TIMEOUT_SECONDS
    _token: str | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_env(cls, prefix: str = "AIRFLOW_API", timeout: float = TIMEOUT_SECONDS) -> AirflowClient:
        """A client for `{prefix}_URL` as `{prefix}_USER` with `{prefix}_PASSWORD`."""
        # TODO: read the three variables from os.environ; if any is missing or empty raise AirflowAPIError naming every missing variable (no default values: a default password is a hard-coded password)
        raise NotImplementedError('TODO: read the three variables from os.environ; if any is missing or empty raise AirflowAPIError naming every missing variable (no default values: a default password is a hard-coded password)')

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call with a timeout; no answer at all becomes an AirflowAPIError."""
        url = self.base_url.rstrip("/") + path
        # TODO: httpx.request(method, url, timeout=self.timeout, **kwargs); turn httpx.TimeoutException into "Airflow at <base_url> did not answer within <timeout> s" and httpx.TransportError (refused, DNS…) into "could not reach Airflow at <base_url>: <error>", both AirflowAPIError with status None
        raise NotImplementedError('TODO: httpx.request(method, url, timeout=self.timeout, **kwargs); turn httpx.TimeoutException into "Airflow at <base_url> did not answer within <timeout> s" and httpx.TransportError (refused, DNS…) into "could not reach Airflow at <base_url>: <error>", both AirflowAPIError with status None')

    def token(self) -> str:
        """A JWT for this user (Airflow 3 has no basic auth): POST /auth/token, then reuse it."""
        # TODO: if there is no cached self._token, POST /auth/token with JSON {"username", "password"} through self._send; a non-2xx answer raises AirflowAPIError(describe_error(...), status); keep response.json()["access_token"] in self._token
        raise NotImplementedError('TODO: if there is no cached self._token, POST /auth/token with JSON {"username", "password"} through self._send; a non-2xx answer raises AirflowAPIError(describe_error(...), status); keep response.json()["access_token"] in self._token')

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None, authenticated: bool = True) -> Any:
        """Call `path` (e.g. "/api/v2/dags") and return the decoded JSON (None when empty)."""
        # TODO: send "Authorization: Bearer <self.token()>" (unless authenticated=False); when Airflow rejects the token itself (401, or 403 "Invalid JWT token": tokens expire, and a restarted server may sign with a new key), drop it and retry once with a new login; any other non-2xx raises AirflowAPIError(describe_error(...), status)
        raise NotImplementedError('TODO: send "Authorization: Bearer <self.token()>" (unless authenticated=False); when Airflow rejects the token itself (401, or 403 "Invalid JWT token": tokens expire, and a restarted server may sign with a new key), drop it and retry once with a new login; any other non-2xx raises AirflowAPIError(describe_error(...), status)')


# -- DAGs and runs --------------------------------------------------------------------------
def list_dags(client: AirflowClient, *, page_size: int = 100, paused: bool | None = None) -> list[dict[str, Any]]:
    """Every DAG, following pagination (the server caps a page at [api] maximum_page_limit)."""
    # TODO: GET /api/v2/dags with limit=page_size, offset=how many you hold so far, order_by=dag_id (and paused=true/false when given) until you hold total_entries DAGs or a page comes back empty; count what came back, not page_size — the server may return fewer than you asked
    raise NotImplementedError('TODO: GET /api/v2/dags with limit=page_size, offset=how many you hold so far, order_by=dag_id (and paused=true/false when given) until you hold total_entries DAGs or a page comes back empty; count what came back, not page_size — the server may return fewer than you asked')


def list_active_dags(client: AirflowClient, *, page_size: int = 100) -> list[dict[str, Any]]:
    """The DAGs that are switched on (unpaused): the ones the scheduler will run."""
    # TODO: list_dags with paused=False (let the server filter)
    raise NotImplementedError('TODO: list_dags with paused=False (let the server filter)')


def trigger_dag_run(
    client: AirflowClient,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    logical_date: datetime | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Start a run of `dag_id` now; returns the new run (its "dag_run_id", "state", …)."""
    # TODO: POST /api/v2/dags/{dag_id}/dagRuns with JSON {"logical_date": ISO string or None (the key is required, null allowed; "execution_date" is Airflow 2 and gets 422), "conf": conf or {}, plus "dag_run_id" when run_id is given}
    raise NotImplementedError('TODO: POST /api/v2/dags/{dag_id}/dagRuns with JSON {"logical_date": ISO string or None (the key is required, null allowed; "execution_date" is Airflow 2 and gets 422), "conf": conf or {}, plus "dag_run_id" when run_id is given}')


def wait_for_run(client: AirflowClient, dag_id: str, run_id: str, *, timeout: float = 300, poll_interval: float = 1.0) -> dict[str, Any]:
    """Poll a run until it is success or failed; AirflowAPIError when `timeout` seconds pass first."""
    # TODO: GET /api/v2/dags/{dag_id}/dagRuns/{run_id} every poll_interval seconds until "state" is in FINAL_STATES; measure with time.monotonic(); past the deadline raise AirflowAPIError naming the run, its last state and the timeout
    raise NotImplementedError('TODO: GET /api/v2/dags/{dag_id}/dagRuns/{run_id} every poll_interval seconds until "state" is in FINAL_STATES; measure with time.monotonic(); past the deadline raise AirflowAPIError naming the run, its last state and the timeout')


# -- Variables and config ---------------------------------------------------------------------
def list_variables(client: AirflowClient, *, page_size: int = 100) -> dict[str, str]:
    """key → value for every Variable in the metadata DB. Secret-looking keys come back as "***"."""
    # TODO: GET /api/v2/variables page by page (limit, offset, order_by=key) like list_dags; return {variable["key"]: variable["value"]}
    raise NotImplementedError('TODO: GET /api/v2/variables page by page (limit, offset, order_by=key) like list_dags; return {variable["key"]: variable["value"]}')


def get_config(client: AirflowClient) -> dict[str, Any]:
    """Airflow's configuration: 403 unless the admin set [api] expose_config (sensible: it holds secrets)."""
    return client.request("GET", "/api/v2/config")


# -- Health ---------------------------------------------------------------------------------
@dataclass
class ComponentHealth:
    name: str
    status: str | None  # what Airflow says: "healthy", "unhealthy", or None (never ran)
    heartbeat: datetime | None  # its latest heartbeat (the metadata DB has none)
    healthy: bool  # our verdict: Airflow's status AND a fresh heartbeat
    reason: str = ""  # why not healthy, for a human


@dataclass
class HealthReport:
    components: list[ComponentHealth] = field(default_factory=list)
    error: str | None = None  # the API could not be asked at all

    @property
    def healthy(self) -> bool:
        return self.error is None and bool(self.components) and all(c.healthy for c in self.components)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return UNKNOWN
        return OK if self.healthy else CRITICAL

    def summary(self) -> str:
        if self.error is not None:
            return f"UNKNOWN: {self.error}"
        lines = [f"{'OK' if self.healthy else 'CRITICAL'}: Airflow is {'healthy' if self.healthy else 'NOT healthy'}"]
        for c in self.components:
            beat = f", heartbeat {c.heartbeat:%Y-%m-%d %H:%M:%S} UTC" if c.heartbeat else ""
            lines.append(f"  {'ok ' if c.healthy else 'BAD'} {c.name}: {c.status}{beat}{' — ' + c.reason if c.reason else ''}")
        return "\n".join(lines)


def assess_component(name: str, payload: dict[str, Any] | None, *, now: datetime, max_age: timedelta) -> ComponentHealth:
    """Our verdict on one entry of /api/v2/monitor/health, e.g. payload
    {"status": "healthy", "latest_scheduler_heartbeat": "2026-01-01T00:00:00+00:00"}."""
    # TODO: status = payload["status"]; the heartbeat is the payload's "latest_*_heartbeat" value parsed with datetime.fromisoformat (None if absent); unhealthy when status != "healthy" (say "never ran" when None), or when a heartbeat is older than max_age at `now` (say how old: "healthy but stale" is how a hung scheduler looks)
    raise NotImplementedError('TODO: status = payload["status"]; the heartbeat is the payload\'s "latest_*_heartbeat" value parsed with datetime.fromisoformat (None if absent); unhealthy when status != "healthy" (say "never ran" when None), or when a heartbeat is older than max_age at `now` (say how old: "healthy but stale" is how a hung scheduler looks)')


def check_health(
    client: AirflowClient,
    *,
    max_age: timedelta = MAX_HEARTBEAT_AGE,
    now: datetime | None = None,
    components: tuple[str, ...] = COMPONENTS,
) -> HealthReport:
    """Ask /api/v2/monitor/health and judge each component. Never raises: a monitor reports."""
    # TODO: GET /api/v2/monitor/health with authenticated=False (it needs no login, so it works even when the password is wrong); an AirflowAPIError becomes HealthReport(error=str(error)); otherwise one assess_component per name in `components`, with now defaulting to datetime.now(timezone.utc)
    raise NotImplementedError('TODO: GET /api/v2/monitor/health with authenticated=False (it needs no login, so it works even when the password is wrong); an AirflowAPIError becomes HealthReport(error=str(error)); otherwise one assess_component per name in `components`, with now defaulting to datetime.now(timezone.utc)')

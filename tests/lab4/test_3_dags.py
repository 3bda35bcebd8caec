"""Lab 4 · DAGs through the API: every page, only the active ones, a triggered run followed to its end."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from labkit.grading.checks import check, check_equal, finishes_within, watch
from tests.lab4.conftest import ALL_DAGS, GIVEN_DAG
from tests.lab4.helpers import STOP_HINT, client, past_the_end, queued_run, recording_proxy

PAGINATION_HINT = "ask again with offset = how many you hold, until you hold total_entries (the server caps limit)"


def _ids(dags) -> list[str]:
    return [d["dag_id"] if isinstance(d, dict) else str(d) for d in dags]


def _error_name(error) -> str:
    return f"{type(error).__name__}: {error}" if error is not None else "no error"


@pytest.mark.points(3)
@pytest.mark.timeout(70)  # three calls, each allowed 20 s
def test_list_dags_follows_pagination(api, airflow):
    """26 DAGs at 10 per page: list_dags() returns every one of them, once"""
    for page_size in (10, 7, 100):
        outcome = finishes_within(20, lambda: api.list_dags(client(api, airflow), page_size=page_size), "list_dags()")
        check(outcome.error is None, f"list_dags() raised {_error_name(outcome.error)}")
        got = _ids(outcome.result)
        check(len(got) == len(set(got)), f"list_dags(page_size={page_size}) returned duplicates", PAGINATION_HINT)
        check(sorted(got) == ALL_DAGS,
              f"list_dags(page_size={page_size}) returned {len(got)} of the {len(ALL_DAGS)} DAGs"
              + (f"; missing e.g. {sorted(set(ALL_DAGS) - set(got))[:3]}" if set(ALL_DAGS) - set(got) else ""),
              PAGINATION_HINT)


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own wait ends at 20 s
def test_list_dags_stops_at_the_last_page(api, airflow):
    """list_dags() stops when it holds total_entries: no request for a page past the end"""
    with recording_proxy(airflow.url) as proxy:
        outcome = finishes_within(20, lambda: api.list_dags(client(api, airflow, url=proxy.url), page_size=10), "list_dags()")
    check(outcome.error is None, f"list_dags() raised {_error_name(outcome.error)}")
    calls = proxy.calls("GET", "/api/v2/dags")
    extra = past_the_end(calls)
    check(extra is None,
          f"list_dags(page_size=10) sent {len(calls)} requests (offsets {', '.join(str(c.offset()) for c in calls)}): "
          f"request {extra and extra[0]} (offset={extra and extra[1]}) came after Airflow had returned all "
          f"{extra and extra[2]} DAGs, a page past the end", STOP_HINT)


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own wait ends at 20 s
def test_list_active_dags_only_unpaused(api, airflow, paused_as_planned):
    """Only the 5 unpaused DAGs come back"""
    outcome = finishes_within(20, lambda: api.list_active_dags(client(api, airflow), page_size=2), "list_active_dags()")
    check(outcome.error is None, f"list_active_dags() raised {_error_name(outcome.error)}")
    got = _ids(outcome.result)
    paused = sorted(set(got) - set(paused_as_planned))
    check(not paused, f"list_active_dags() returned {len(paused)} paused DAG(s), e.g. {paused[:3]}",
          "filter on is_paused == False (the API's paused=false does it on the server)")
    missing = sorted(set(paused_as_planned) - set(got))
    check(not missing, f"list_active_dags(page_size=2) returned {len(set(got))} of the 5 active DAGs; missing {missing}",
          "the active DAGs span pages too (2 per page here): follow every page, as list_dags() does")
    check(len(got) == len(set(got)), f"list_active_dags(page_size=2) returned duplicates: {sorted(got)}", PAGINATION_HINT)


def _xcom(airflow, dag_id: str, run_id: str, task_id: str):
    response = airflow.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value")
    return response.json().get("value") if response.status_code == 200 else None


@pytest.mark.points(4)
@pytest.mark.timeout(160)  # a real run on the live scheduler: its own waits end at 30 + 120 s
@pytest.mark.if_stuck("trigger_dag_run() or wait_for_run() never returned: an HTTP call without a timeout, or a wait with no deadline")
def test_trigger_with_conf_and_wait_for_success(api, airflow, paused_as_planned):
    """trigger_dag_run() with conf and a logical date, wait_for_run() → success; the task saw that conf and date"""
    admin = client(api, airflow, "admin")
    token = uuid.uuid4().hex[:8]
    conf = {"region": "kr", "requested_by": f"test-{token}"}
    logical = datetime(2024, 3, 1, tzinfo=timezone.utc) + timedelta(seconds=int(token, 16) % 10**7)
    outcome = finishes_within(30, lambda: api.trigger_dag_run(admin, GIVEN_DAG, conf=conf, logical_date=logical), "trigger_dag_run()")
    refused = getattr(outcome.error, "status", None) == 422 or "date" in str(outcome.error)
    check(outcome.error is None, f"trigger_dag_run() raised {_error_name(outcome.error)}",
          'POST /api/v2/dags/{dag_id}/dagRuns with {"logical_date": …, "conf": …} ("execution_date" is Airflow 2)' if refused else None)
    run = outcome.result
    check(isinstance(run, dict) and run.get("dag_run_id"), f"trigger_dag_run() should return the new run, got {str(run)[:100]!r}")
    run_id = run["dag_run_id"]
    waited = finishes_within(120, lambda: api.wait_for_run(admin, GIVEN_DAG, run_id, timeout=90, poll_interval=0.5), "wait_for_run()")
    check(waited.error is None, f"wait_for_run() raised {_error_name(waited.error)}")
    check_equal(waited.result.get("state"), "success", "the run's final state")
    seen = _xcom(airflow, GIVEN_DAG, run_id, "report") or {}
    check_equal(seen.get("conf"), conf, "the conf the task received")
    check_equal(seen.get("logical_date"), logical.isoformat(), "the logical date the task received")


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own wait ends at 20 s
def test_wait_for_run_gives_up_after_its_timeout(api, airflow, paused_as_planned):
    """A run of a paused DAG stays queued: wait_for_run(timeout=1) raises AirflowAPIError in ~1 s, naming the state"""
    admin = client(api, airflow, "admin")
    run_id = queued_run(airflow, "fleet_00")  # made by the kit: this test is about waiting, not triggering
    outcome = finishes_within(20, lambda: api.wait_for_run(admin, "fleet_00", run_id, timeout=1, poll_interval=0.25),
                              "wait_for_run(timeout=1) on a run that never starts",
                              "compare time.monotonic() with a deadline in the loop, and raise when it passes")
    check(isinstance(outcome.error, api.AirflowAPIError),
          f"expected AirflowAPIError after 1 s, got {_error_name(outcome.error) if outcome.error else outcome.result}")
    check(outcome.seconds < 10, f"wait_for_run(timeout=1) took {outcome.seconds:.1f} s",
          "the deadline is now + timeout: time.monotonic() + timeout")
    check("queued" in str(outcome.error), f"say which state the run was stuck in: {str(outcome.error)!r}")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # it watches the calls for at most 8 s
def test_wait_for_run_polls_every_poll_interval(api, airflow, paused_as_planned):
    """wait_for_run() asks once per poll_interval (about 5 times in 1 s at 0.25 s), not in a loop that hammers the API"""
    run_id = queued_run(airflow, "fleet_00")
    path = f"/api/v2/dags/fleet_00/dagRuns/{run_id}"
    with recording_proxy(airflow.url) as proxy:
        admin = client(api, airflow, "admin", url=proxy.url)
        outcome, ended = watch(8, lambda: api.wait_for_run(admin, "fleet_00", run_id, timeout=1, poll_interval=0.25))
        polls = len(proxy.calls("GET", path))
    # What happens once the proxy is gone (a wait still running gets "connection refused") is not judged here.
    check(polls > 0, f"wait_for_run() never asked for the run (GET {path})"
          + (f": it raised {_error_name(outcome.error)}" if outcome.error else "" if ended else " in 8 s"))
    window = min(outcome.seconds, 8.0)
    allowed = int(window / 0.25) + 3
    check(polls <= allowed,
          f"wait_for_run(poll_interval=0.25) asked for the run {polls} times in {window:.1f} s: at most {allowed} expected, "
          "one per poll_interval", "time.sleep(poll_interval) between two polls: a loop without a pause hammers the API server")

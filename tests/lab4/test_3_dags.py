"""Lab 4 · DAGs through the API: every page, only the active ones, a triggered run followed to its end."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.conftest import ALL_DAGS, GIVEN_DAG
from tests.lab4.helpers import client

PAGINATION_HINT = "ask again with offset = how many you hold, until you hold total_entries (the server caps limit)"


def _ids(dags) -> list[str]:
    return [d["dag_id"] if isinstance(d, dict) else str(d) for d in dags]


@pytest.mark.points(3)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_list_dags_follows_pagination(api, airflow):
    """26 DAGs at 10 per page: list_dags() returns every one of them, once"""
    for page_size in (10, 7, 100):
        outcome = finishes_within(60, lambda: api.list_dags(client(api, airflow), page_size=page_size), "list_dags()")
        check(outcome.error is None, f"list_dags() raised {type(outcome.error).__name__}: {outcome.error}")
        got = _ids(outcome.result)
        check(len(got) == len(set(got)), f"list_dags(page_size={page_size}) returned duplicates", PAGINATION_HINT)
        check(sorted(got) == ALL_DAGS,
              f"list_dags(page_size={page_size}) returned {len(got)} of the {len(ALL_DAGS)} DAGs"
              + (f"; missing e.g. {sorted(set(ALL_DAGS) - set(got))[:3]}" if set(ALL_DAGS) - set(got) else ""),
              PAGINATION_HINT)


@pytest.mark.points(2)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_list_active_dags_only_unpaused(api, airflow, paused_as_planned):
    """Only the 5 unpaused DAGs come back"""
    outcome = finishes_within(60, lambda: api.list_active_dags(client(api, airflow), page_size=2), "list_active_dags()")
    check(outcome.error is None, f"list_active_dags() raised {type(outcome.error).__name__}: {outcome.error}")
    check_equal(sorted(_ids(outcome.result)), paused_as_planned, "the active DAGs (page_size=2)",
                "filter on is_paused == False (the API's paused=false does it on the server), over every page")


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
    check(outcome.error is None, f"trigger_dag_run() raised {type(outcome.error).__name__}: {outcome.error}",
          'POST /api/v2/dags/{dag_id}/dagRuns with {"logical_date": …, "conf": …} ("execution_date" is Airflow 2)')
    run = outcome.result
    check(isinstance(run, dict) and run.get("dag_run_id"), f"trigger_dag_run() should return the new run, got {str(run)[:100]!r}")
    run_id = run["dag_run_id"]
    waited = finishes_within(120, lambda: api.wait_for_run(admin, GIVEN_DAG, run_id, timeout=90, poll_interval=0.5), "wait_for_run()")
    check(waited.error is None, f"wait_for_run() raised {type(waited.error).__name__}: {waited.error}")
    check_equal(waited.result.get("state"), "success", "the run's final state")
    seen = _xcom(airflow, GIVEN_DAG, run_id, "report") or {}
    check_equal(seen.get("conf"), conf, "the conf the task received")
    check_equal(seen.get("logical_date"), logical.isoformat(), "the logical date the task received")


@pytest.mark.points(2)
@pytest.mark.timeout(30)  # its own wait ends at 15 s
def test_wait_for_run_gives_up_after_its_timeout(api, airflow, paused_as_planned):
    """A run of a paused DAG stays queued: wait_for_run(timeout=2) raises AirflowAPIError in ~2 s"""
    admin = client(api, airflow, "admin")
    run = api.trigger_dag_run(admin, "fleet_00", conf={}, logical_date=None)
    outcome = finishes_within(15, lambda: api.wait_for_run(admin, "fleet_00", run["dag_run_id"], timeout=2, poll_interval=0.5),
                              "wait_for_run(timeout=2) on a run that never starts",
                              "compare time.monotonic() with a deadline in the loop, and raise when it passes")
    check(isinstance(outcome.error, api.AirflowAPIError),
          f"expected AirflowAPIError after 2 s, got {type(outcome.error).__name__ if outcome.error else outcome.result}")
    check(outcome.seconds < 8, f"wait_for_run(timeout=2) took {outcome.seconds:.1f} s")
    check("queued" in str(outcome.error), f"say which state the run was stuck in: {str(outcome.error)!r}")

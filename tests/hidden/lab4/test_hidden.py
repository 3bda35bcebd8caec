"""Lab 4 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from labkit.services.slack import SlackWebhook
from tests.lab4.conftest import ALL_DAGS
from tests.lab4.helpers import client, expired_token, queued_run, recording_proxy

NEVER_RAISE = "notify_slack must never raise: catch the exception, print one line to stderr, return False"


def _error_name(error) -> str:
    return f"{type(error).__name__}: {error}" if error is not None else "no error"


# -- the client ---------------------------------------------------------------------------------
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
@pytest.mark.timeout(70)  # two calls, each allowed 30 s
def test_an_expired_token_is_renewed_once(api, airflow):
    """A token Airflow no longer accepts (expired: 401 "Token Expired"; signed with an old key: 403 "Invalid JWT token") is replaced by a new login"""
    cases = (
        ("that expired an hour ago", lambda token: expired_token(airflow, token), '401 "Token Expired"'),
        ("signed with another key (a restarted server)", lambda token: token[:-6] + "AAAAAA", '403 "Invalid JWT token"'),
    )
    for what, spoil, answer in cases:
        monitor_client = client(api, airflow)
        monitor_client._token = spoil(monitor_client.token())
        outcome = finishes_within(30, lambda: monitor_client.request("GET", "/api/v2/dags", params={"limit": 1}), "request()")
        check(outcome.error is None,
              f"request() with a token {what} (Airflow answers {answer}) failed instead of logging in again: {_error_name(outcome.error)}",
              "when Airflow rejects the token itself (401, or 403 'Invalid JWT token'), forget it and retry once")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # one call, allowed 30 s
def test_a_forbidden_call_is_not_retried(api, airflow):
    """A 403 for a missing permission is Airflow's answer, not a rejected token: request() sends it once, without a new login"""
    with recording_proxy(airflow.url) as proxy:
        monitor_client = client(api, airflow, url=proxy.url)
        outcome = finishes_within(30, lambda: monitor_client.request("GET", "/api/v2/variables"),
                                  "request() of what the monitor user may not read")
    sent, logins = proxy.calls("GET", "/api/v2/variables"), proxy.calls("POST", "/auth/token")
    check(bool(sent), "request('GET', '/api/v2/variables') never sent that request"
          + (f": it raised {_error_name(outcome.error)}" if outcome.error else ""))
    detail = sent[0].answer.get("detail") if isinstance(sent[0].answer, dict) else None
    check(len(sent) == 1,
          f"GET /api/v2/variables answered {sent[0].status} {detail!r} (the monitor user may not read Variables) and your client "
          f"sent it {len(sent)} times, with {len(logins)} logins: a missing permission is not a rejected token",
          "log in again only when Airflow rejects the token itself: 401, or 403 with 'Invalid JWT token' in the answer")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # one call, allowed 30 s
def test_an_empty_answer_is_none(api, airflow):
    """An answer without a body (204 after deleting a Variable) makes request() return None, not a JSON error"""
    key = f"labkit_scratch_{uuid.uuid4().hex[:8]}"
    made = airflow.api("POST", "variables", json={"key": key, "value": "to be deleted"})
    assert made.is_success, made.text
    admin = client(api, airflow, "admin")
    outcome = finishes_within(30, lambda: admin.request("DELETE", f"/api/v2/variables/{key}"), "request('DELETE', …)")
    check(outcome.error is None,
          f"DELETE /api/v2/variables/{key} (Airflow answers 204, no body) raised {_error_name(outcome.error)}",
          "decode the JSON only when the answer has a body (response.content); else return None"
          if isinstance(outcome.error, ValueError) else None)
    check(outcome.result is None, f"request() returned {outcome.result!r} for an answer with no body; expected None")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # two calls, each allowed 10 s
def test_from_env_reads_its_prefix_and_names_every_missing_variable(api, monkeypatch):
    """from_env(prefix="OPS_AIRFLOW", timeout=3) reads OPS_AIRFLOW_URL/_USER/_PASSWORD; the error names every missing or empty one"""
    for name in ("AIRFLOW_API_URL", "AIRFLOW_API_USER", "AIRFLOW_API_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    password = secrets.token_urlsafe(12)
    values = {"OPS_AIRFLOW_URL": "http://airflow.ops.example:8080", "OPS_AIRFLOW_USER": "ops", "OPS_AIRFLOW_PASSWORD": password}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    outcome = finishes_within(10, lambda: api.AirflowClient.from_env(prefix="OPS_AIRFLOW", timeout=3), "from_env(prefix='OPS_AIRFLOW')")
    check(outcome.error is None, f"from_env(prefix='OPS_AIRFLOW', timeout=3) raised {_error_name(outcome.error)}",
          "the variables are f'{prefix}_URL', f'{prefix}_USER' and f'{prefix}_PASSWORD'")
    built = outcome.result
    check_equal((built.base_url, built.username, built.password == password, built.timeout),
                ("http://airflow.ops.example:8080", "ops", True, 3), "(url, user, password read?, timeout) of the client",
                "read f'{prefix}_…' variables and pass timeout=timeout on")
    monkeypatch.delenv("OPS_AIRFLOW_URL")
    monkeypatch.setenv("OPS_AIRFLOW_PASSWORD", "")
    outcome = finishes_within(10, lambda: api.AirflowClient.from_env(prefix="OPS_AIRFLOW"), "from_env() with two variables missing")
    check(isinstance(outcome.error, api.AirflowAPIError),
          "with OPS_AIRFLOW_URL unset and OPS_AIRFLOW_PASSWORD empty, from_env() should raise AirflowAPIError, got "
          + (_error_name(outcome.error) if outcome.error else "a client"), "an empty variable is as missing as an unset one")
    unnamed = [name for name in ("OPS_AIRFLOW_URL", "OPS_AIRFLOW_PASSWORD") if name not in str(outcome.error)]
    check(not unnamed, f"OPS_AIRFLOW_URL is unset and OPS_AIRFLOW_PASSWORD empty: the message misses {', '.join(unnamed)}: "
          f"{str(outcome.error)!r}", "collect every missing (or empty) variable, then raise once naming them all")


# -- health -------------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_health_needs_no_password(api, airflow):
    """check_health() works with a wrong password: the health endpoint needs no login, and a rotated password must not blind the monitor"""
    wrong = api.AirflowClient(airflow.url, "monitor", "rotated-yesterday")
    outcome = finishes_within(30, lambda: api.check_health(wrong), "check_health()")
    check(outcome.error is None, f"check_health() raised {_error_name(outcome.error)}")
    report = outcome.result
    check(report.error is None, f"check_health() with a wrong password could not ask Airflow: {report.error}",
          "call /api/v2/monitor/health with authenticated=False: it needs no login")
    check_equal(report.exit_code, 0, "the exit code of a healthy Airflow asked with a wrong password")


@pytest.mark.points(1)
def test_stale_means_older_than_max_age(api):
    """A heartbeat exactly max_age old is still fresh; one a second older is stale"""
    beat = datetime(2026, 1, 1, tzinfo=timezone.utc)
    payload = {"status": "healthy", "latest_scheduler_heartbeat": beat.isoformat()}
    limit = timedelta(seconds=60)
    at_limit = api.assess_component("scheduler", payload, now=beat + limit, max_age=limit)
    check(at_limit.healthy, f"a heartbeat exactly 60 s old with max_age=60 s was judged stale ({at_limit.reason!r}): "
          "stale means OLDER than max_age", "now - heartbeat > max_age (--max-age: 'seconds after which a heartbeat is stale')")
    older = api.assess_component("scheduler", payload, now=beat + limit + timedelta(seconds=1), max_age=limit)
    check(not older.healthy, "a heartbeat 61 s old with max_age=60 s was judged fresh")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_check_health_judges_the_components_asked_for(api, airflow):
    """check_health(components=("scheduler", "triggerer")) reports those two and no others"""
    outcome = finishes_within(30, lambda: api.check_health(client(api, airflow), components=("scheduler", "triggerer")),
                              "check_health(components=…)")
    check(outcome.error is None, f"check_health() raised {_error_name(outcome.error)}")
    check_equal(sorted(c.name for c in outcome.result.components), ["scheduler", "triggerer"], "the components in the report",
                "one assess_component per name in `components`, not one per entry of Airflow's answer")


# -- DAGs and runs ------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own wait ends at 20 s
def test_list_dags_filters_paused(api, airflow, paused_as_planned):
    """list_dags(paused=True) returns the 21 paused DAGs, over every page"""
    outcome = finishes_within(20, lambda: api.list_dags(client(api, airflow), page_size=4, paused=True), "list_dags(paused=True)")
    check(outcome.error is None, f"list_dags(paused=True) raised {_error_name(outcome.error)}")
    got = {d["dag_id"] if isinstance(d, dict) else str(d) for d in outcome.result}
    active = sorted(got & set(paused_as_planned))
    check(not active, f"list_dags(paused=True) returned {len(active)} active DAG(s), e.g. {active[:3]}",
          "send paused=true (the API's filter) when paused is True")
    expected = set(ALL_DAGS) - set(paused_as_planned)
    check(got == expected, f"list_dags(paused=True, page_size=4) returned {len(got)} of the {len(expected)} paused DAGs")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_trigger_with_a_run_id(api, airflow, paused_as_planned):
    """trigger_dag_run(run_id=…) creates the run under that id, with its conf"""
    admin = client(api, airflow, "admin")
    run_id = f"labkit__{uuid.uuid4().hex[:10]}"
    outcome = finishes_within(30, lambda: api.trigger_dag_run(admin, "fleet_00", conf={"ticket": "OPS-42"}, run_id=run_id),
                              "trigger_dag_run(run_id=…)")
    check(outcome.error is None, f"trigger_dag_run(run_id={run_id!r}) raised {_error_name(outcome.error)}")
    check_equal((outcome.result or {}).get("dag_run_id"), run_id, "the new run's dag_run_id",
                'send "dag_run_id": run_id in the body when a run_id is given')
    stored = airflow.api("GET", f"dags/fleet_00/dagRuns/{run_id}")
    check_equal(stored.json().get("conf") if stored.status_code == 200 else None, {"ticket": "OPS-42"}, "the conf of the run Airflow holds")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_a_failed_run_ends_the_wait(api, airflow, paused_as_planned):
    """A run that failed ends the wait: wait_for_run() returns it (state "failed") instead of waiting out its timeout"""
    run_id = queued_run(airflow, "fleet_00")
    marked = airflow.api("PATCH", f"dags/fleet_00/dagRuns/{run_id}", json={"state": "failed"})
    assert marked.status_code == 200, marked.text
    admin = client(api, airflow, "admin")
    outcome = finishes_within(30, lambda: api.wait_for_run(admin, "fleet_00", run_id, timeout=10, poll_interval=0.5),
                              "wait_for_run() on a failed run")
    check(outcome.error is None,
          f"wait_for_run(timeout=10) raised {_error_name(outcome.error)} after {outcome.seconds:.1f} s, on a run that had failed "
          "before the wait began", "stop at either final state: 'success' or 'failed'" if outcome.seconds >= 9 else None)
    check_equal((outcome.result or {}).get("state"), "failed", "the state of the run wait_for_run() returned")
    check(outcome.seconds < 5, f"wait_for_run() took {outcome.seconds:.1f} s to see a run that had already failed")


# -- the monitor --------------------------------------------------------------------------------
@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own wait ends at 15 s
def test_a_slow_slack_costs_only_the_timeout(monitor, slack_webhook, monkeypatch):
    """A Slack that never answers costs notify_slack() only SLACK_TIMEOUT_SECONDS, then it returns False"""
    monkeypatch.setattr(monitor, "SLACK_TIMEOUT_SECONDS", 1)  # your value is for production; 1 s keeps this test short
    slack_webhook.mode, slack_webhook.delay = "slow", 20
    outcome = finishes_within(15, lambda: monitor.notify_slack("labkit: nobody answers"),
                              "notify_slack() against a Slack that never answers",
                              "pass timeout=SLACK_TIMEOUT_SECONDS to SlackWebhookHook (the Slack SDK's default is 30 s)")
    check(outcome.error is None, f"notify_slack() raised {_error_name(outcome.error)} when Slack did not answer"[:300], NEVER_RAISE)
    check(outcome.seconds < 6, f"notify_slack() took {outcome.seconds:.1f} s with SLACK_TIMEOUT_SECONDS = 1",
          "pass timeout=SLACK_TIMEOUT_SECONDS (the module's constant), not a number of your own")
    check(outcome.result is False, f"notify_slack() returned {outcome.result!r} when Slack never answered; expected False")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_monitor_without_credentials_is_unknown(api, monitor, airflow, slack_webhook, monkeypatch, capsys):
    """AIRFLOW_API_PASSWORD unset: the monitor says UNKNOWN (exit 3) in a line naming the variable, without a traceback, and alerts"""
    monkeypatch.delenv("AIRFLOW_API_PASSWORD")
    outcome = finishes_within(30, lambda: monitor.main([]), "health_monitor.main([]) without AIRFLOW_API_PASSWORD")
    check(outcome.error is None,
          f"main() raised {_error_name(outcome.error)} with AIRFLOW_API_PASSWORD unset: cron sees a crash, not exit code 3",
          "from_env()'s AirflowAPIError becomes HealthReport(error=str(error)): exit code 3"
          if isinstance(outcome.error, api.AirflowAPIError) else None)
    check_equal(outcome.result, 3, "main()'s exit code without credentials (3 = UNKNOWN)")
    printed = capsys.readouterr()
    check("Traceback" not in printed.out + printed.err, "the output holds a traceback")
    check("AIRFLOW_API_PASSWORD" in printed.out + printed.err,
          f"the output should name the missing AIRFLOW_API_PASSWORD:\n{printed.out}{printed.err}"[:400])
    check_equal(len(slack_webhook.posts), 1, "Slack posts when the monitor cannot build its client")


@pytest.mark.points(1)
@pytest.mark.timeout(70)  # two runs, each allowed 30 s
def test_monitor_options_work(monitor, airflow, slack_webhook, monkeypatch, capsys):
    """--no-alert prints the report and posts nothing; --slack-conn sends the alert through the connection it names"""
    args = ["--max-age", "0.001", "--no-alert"]
    outcome = finishes_within(30, lambda: monitor.main(args), f"health_monitor.main({args})")
    check(outcome.error is None, f"main({args}) raised {_error_name(outcome.error)}")
    check_equal(outcome.result, 2, f"main({args})'s exit code")
    check("scheduler" in capsys.readouterr().out, "with --no-alert the report was not printed")
    check_equal(len(slack_webhook.posts), 0, "Slack posts with --no-alert", "--no-alert: print the report, alert nobody")
    pager = SlackWebhook().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_OPS_PAGER", pager.env("ops_pager")["AIRFLOW_CONN_OPS_PAGER"])
        args = ["--max-age", "0.001", "--slack-conn", "ops_pager"]
        outcome = finishes_within(30, lambda: monitor.main(args), f"health_monitor.main({args})")
        check(outcome.error is None, f"main({args}) raised {_error_name(outcome.error)}")
        check_equal((len(pager.posts), len(slack_webhook.posts)), (1, 0), "posts to (ops_pager, slack_alerts) with --slack-conn ops_pager",
                    "pass args.slack_conn on to notify_slack")
    finally:
        pager.stop()

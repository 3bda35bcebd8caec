"""Lab 4 · the monitor: quiet when healthy, one Slack alert when not, and a real stopped scheduler caught.

Last on purpose: the final test stops the scheduler (the next run's setup starts it again).
"""
from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from tests.lab4.helpers import client, closed_url

NEVER_RAISE = "notify_slack must never raise: catch the exception, print one line to stderr, return False"


def _error_name(error) -> str:
    return f"{type(error).__name__}: {error}" if error is not None else "no error"


def _secret(slack_webhook) -> str:
    return slack_webhook.token.rsplit("/", 1)[-1]


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_monitor_is_quiet_when_healthy(monitor, airflow, slack_webhook, capsys):
    """Healthy Airflow: exit code 0, a line per component printed, nothing posted to Slack"""
    outcome = finishes_within(30, lambda: monitor.main(["--max-age", "300"]), "health_monitor.main(['--max-age', '300'])")
    check(outcome.error is None, f"main() raised {_error_name(outcome.error)}")
    check_equal(outcome.result, 0, "main()'s exit code for a healthy Airflow")
    out = capsys.readouterr().out
    for name in ("scheduler", "dag_processor", "triggerer", "metadatabase"):
        check(name in out, f"the printed report does not mention {name}:\n{out}")
    check_equal(len(slack_webhook.posts), 0, "Slack posts when all is well (alert only when something is wrong)")


@pytest.mark.points(3)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_monitor_alerts_slack_when_unhealthy(monitor, airflow, slack_webhook, capsys):
    """Stale heartbeats (--max-age 0.001): exit code 2 and ONE Slack post naming the bad components, no password"""
    outcome = finishes_within(30, lambda: monitor.main(["--max-age", "0.001"]), "health_monitor.main(['--max-age', '0.001'])")
    check(outcome.error is None, f"main() raised {_error_name(outcome.error)}")
    check_equal(outcome.result, 2, "main()'s exit code (2 = CRITICAL)")
    check_equal(len(slack_webhook.posts), 1, "Slack posts for one failed check")
    text = slack_webhook.posts[0].message() or ""
    check("scheduler" in text, f"the alert should name the unhealthy scheduler:\n{text}")
    printed = capsys.readouterr()
    for secret in airflow.passwords.values():
        check(secret not in text and secret not in printed.out + printed.err, "a password appears in the alert or the output")


@pytest.mark.points(2)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_monitor_without_api_says_unknown(monitor, airflow, slack_webhook, monkeypatch, capsys):
    """API server unreachable: exit code 3, one readable line (no traceback), and a Slack alert"""
    url = closed_url()
    monkeypatch.setenv("AIRFLOW_API_URL", url)
    outcome = finishes_within(30, lambda: monitor.main([]), "health_monitor.main([])")
    check(outcome.error is None, f"main() raised {_error_name(outcome.error)}",
          "a monitor reports what it could not do; it does not crash")
    check_equal(outcome.result, 3, "main()'s exit code when Airflow cannot be asked (3 = UNKNOWN)")
    printed = capsys.readouterr()
    check("Traceback" not in printed.out + printed.err, "the output holds a traceback")
    check(url in printed.out + printed.err, f"the output should name {url}:\n{printed.out}{printed.err}")
    check_equal(len(slack_webhook.posts), 1, "Slack posts when Airflow cannot be reached")
    text = slack_webhook.posts[0].message() or ""
    check(url in text, f"the alert should say which Airflow could not be asked ({url}):\n{text}",
          "post the report's summary: the state in words and the error naming the URL")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # two calls, each allowed 15 s
def test_notify_slack_says_whether_the_alert_went_out(monitor, slack_webhook, capsys):
    """notify_slack() returns True when Slack takes the alert; on a 500 it returns False and says so on stderr, without the webhook's secret"""
    secret = _secret(slack_webhook)
    outcome = finishes_within(15, lambda: monitor.notify_slack("labkit: an alert Slack accepts"), "notify_slack()")
    check(outcome.error is None,
          f"notify_slack() raised {_error_name(outcome.error)} while Slack answered 200".replace(secret, "<SECRET>")[:300])
    check_equal(len(slack_webhook.posts), 1, "Slack posts for one notify_slack() call")
    check(outcome.result is True, f"notify_slack() returned {outcome.result!r} when Slack took the alert; expected True",
          "return True once .send(...) went through: the caller learns that someone was told")

    slack_webhook.mode = "error"
    capsys.readouterr()
    outcome = finishes_within(15, lambda: monitor.notify_slack("labkit: an alert Slack refuses"),
                              "notify_slack() while Slack answers 500")
    printed = capsys.readouterr()
    check(outcome.error is None,
          f"notify_slack() raised {_error_name(outcome.error)} when Slack answered 500: it must never raise".replace(secret, "<SECRET>")[:300],
          NEVER_RAISE)
    check(secret not in printed.out + printed.err, "the webhook's secret (the last part of its URL) appears in the output",
          "print the exception's type and message and the connection id, never the URL")
    check(outcome.result is False, f"notify_slack() returned {outcome.result!r} when Slack answered 500; expected False",
          "return False from the except block: the caller learns that nobody was told")
    err = printed.err.strip()
    check(bool(err), "Slack answered 500 and notify_slack() printed nothing on stderr"
          + (" (only on stdout)" if printed.out.strip() else "") + ": nobody learns that the alert was lost",
          "print(f'…{type(error).__name__}: {error}', file=sys.stderr): one line")
    check("Traceback" not in err and len(err.splitlines()) <= 2,
          f"one line on stderr, please, not {len(err.splitlines())}:\n{err[:400]}", "print one line, not the traceback")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own wait ends at 30 s
def test_monitor_survives_a_slack_outage(monitor, airflow, slack_webhook, capsys):
    """Slack answers 500: main() still prints the report and returns 2 (CRITICAL) instead of crashing"""
    slack_webhook.mode = "error"
    secret = _secret(slack_webhook)
    outcome = finishes_within(30, lambda: monitor.main(["--max-age", "0.001"]), "health_monitor.main(['--max-age', '0.001'])")
    check(outcome.error is None,
          f"main() raised {_error_name(outcome.error)} while Slack was down: cron sees a crash, not exit code 2"
          .replace(secret, "<SECRET>")[:300], NEVER_RAISE)
    check_equal(outcome.result, 2, "main()'s exit code with stale heartbeats and Slack down")
    printed = capsys.readouterr()
    check("scheduler" in printed.out, f"the report was not printed (nothing about the scheduler on stdout):\n{printed.out[:400]}")
    check_equal(len(slack_webhook.posts), 1, "alerts Slack was asked to take (it answered 500)")


def _scheduler_health(airflow) -> dict:
    return httpx.get(f"{airflow.url}/api/v2/monitor/health", timeout=10).json().get("scheduler") or {}


# Airflow's [scheduler] scheduler_health_check_threshold (its default; the kit keeps it). A
# scheduler that stops cleanly marks its job ended and is unhealthy at once; one that needed
# SIGKILL (a busy machine: its clean stop took longer than the kit's grace) never does, and
# stays "healthy" until its last heartbeat is this old.
HEALTH_THRESHOLD_S = 30


@pytest.mark.points(3)
@pytest.mark.timeout(150)  # stopping (≤ 20 s), Airflow noticing (≤ 40 s), then waits of 30 + 30 s
def test_stopped_scheduler_is_reported(api, monitor, airflow, slack_webhook):
    """The scheduler is stopped for real (SIGTERM): its status turns unhealthy while its heartbeat is still fresh; both the report and the monitor catch it"""
    airflow.stop_component("scheduler")
    patience = HEALTH_THRESHOLD_S + 10
    deadline = time.monotonic() + patience
    while (truth := _scheduler_health(airflow)).get("status") == "healthy" and time.monotonic() < deadline:
        time.sleep(0.5)
    if truth.get("status") == "healthy":
        fail(f"the kit stopped the scheduler but Airflow still reports it healthy after {patience} s: {truth} "
             "(a kit problem, not yours)")
    outcome = finishes_within(30, lambda: api.check_health(client(api, airflow), max_age=timedelta(seconds=300)),
                              "check_health()")
    check(outcome.error is None, f"check_health() raised {_error_name(outcome.error)}")
    scheduler = next((c for c in outcome.result.components if c.name == "scheduler"), None)
    check(scheduler is not None, "the report has no scheduler")
    check(not scheduler.healthy,
          f"the scheduler was stopped seconds ago (its heartbeat is still recent) and Airflow reports it {truth.get('status')!r}, "
          "but your report calls it healthy", "check the status too, not only the heartbeat's age")
    check_equal(outcome.result.exit_code, 2, "the exit code")
    ran = finishes_within(30, lambda: monitor.main(["--max-age", "300"]), "health_monitor.main(['--max-age', '300'])")
    check(ran.error is None, f"main() raised {_error_name(ran.error)} with the scheduler down")
    check_equal(ran.result, 2, "main()'s exit code with the scheduler down")
    check(len(slack_webhook.posts) == 1 and "scheduler" in (slack_webhook.posts[0].message() or ""),
          f"the monitor should post one alert naming the scheduler; Slack got {len(slack_webhook.posts)} post(s)")

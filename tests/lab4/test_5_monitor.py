"""Lab 4 · the monitor: quiet when healthy, one Slack alert when not, and a real stopped scheduler caught.

Last on purpose: the final test stops the scheduler (the next run's setup starts it again).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.helpers import client, closed_url


def _run_monitor(monitor, args: list[str]):
    return finishes_within(60, lambda: monitor.main(args), f"health_monitor.main({args})")


@pytest.mark.points(1)
def test_monitor_is_quiet_when_healthy(monitor, airflow, slack_webhook, capsys):
    """Healthy Airflow: exit code 0, a line per component printed, nothing posted to Slack"""
    outcome = _run_monitor(monitor, ["--max-age", "300"])
    check(outcome.error is None, f"main() raised {type(outcome.error).__name__}: {outcome.error}")
    check_equal(outcome.result, 0, "main()'s exit code for a healthy Airflow")
    out = capsys.readouterr().out
    for name in ("scheduler", "dag_processor", "triggerer", "metadatabase"):
        check(name in out, f"the printed report does not mention {name}:\n{out}")
    check_equal(len(slack_webhook.posts), 0, "Slack posts when all is well (alert only when something is wrong)")


@pytest.mark.points(3)
def test_monitor_alerts_slack_when_unhealthy(monitor, airflow, slack_webhook, capsys):
    """Stale heartbeats (--max-age 0.001): exit code 2 and ONE Slack post naming the bad components, no password"""
    outcome = _run_monitor(monitor, ["--max-age", "0.001"])
    check(outcome.error is None, f"main() raised {type(outcome.error).__name__}: {outcome.error}")
    check_equal(outcome.result, 2, "main()'s exit code (2 = CRITICAL)")
    check_equal(len(slack_webhook.posts), 1, "Slack posts for one failed check")
    text = slack_webhook.posts[0].message()
    check("scheduler" in text, f"the alert should name the unhealthy scheduler:\n{text}")
    printed = capsys.readouterr()
    for secret in airflow.passwords.values():
        check(secret not in text and secret not in printed.out + printed.err, "a password appears in the alert or the output")


@pytest.mark.points(2)
def test_monitor_without_api_says_unknown(monitor, airflow, slack_webhook, monkeypatch, capsys):
    """API server unreachable: exit code 3, one readable line (no traceback), and a Slack alert"""
    url = closed_url()
    monkeypatch.setenv("AIRFLOW_API_URL", url)
    outcome = _run_monitor(monitor, [])
    check(outcome.error is None, f"main() raised {type(outcome.error).__name__}: {outcome.error}",
          "a monitor reports what it could not do; it does not crash")
    check_equal(outcome.result, 3, "main()'s exit code when Airflow cannot be asked (3 = UNKNOWN)")
    printed = capsys.readouterr()
    check("Traceback" not in printed.out + printed.err, "the output holds a traceback")
    check(url in printed.out + printed.err, f"the output should name {url}:\n{printed.out}{printed.err}")
    check_equal(len(slack_webhook.posts), 1, "Slack posts when Airflow cannot be reached")


@pytest.mark.points(3)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_stopped_scheduler_is_reported(api, monitor, airflow, slack_webhook):
    """The scheduler is stopped for real (SIGTERM): its status turns unhealthy while its heartbeat is still fresh; both the report and the monitor catch it"""
    airflow.stop_component("scheduler")
    outcome = finishes_within(30, lambda: api.check_health(client(api, airflow), max_age=timedelta(seconds=300)),
                              "check_health()")
    check(outcome.error is None, f"check_health() raised {type(outcome.error).__name__}: {outcome.error}")
    scheduler = next((c for c in outcome.result.components if c.name == "scheduler"), None)
    check(scheduler is not None and not scheduler.healthy,
          "the scheduler was stopped seconds ago (its heartbeat is still recent) and Airflow reports it "
          "'unhealthy', but your report calls it healthy", "check the status too, not only the heartbeat's age")
    check_equal(outcome.result.exit_code, 2, "the exit code")
    ran = _run_monitor(monitor, ["--max-age", "300"])
    check_equal(ran.result, 2, "main()'s exit code with the scheduler down")
    check(len(slack_webhook.posts) == 1 and "scheduler" in slack_webhook.posts[0].message(),
          "the monitor should post one alert naming the scheduler")

"""Lab 3 · Slack alerts: one useful message per failure, no leaked secret, never worse than silence.

Each test runs a one-task DAG (tests/lab3/probe_dag.py) that fails with a known error and
calls your `common.alerts` callbacks, against a local Slack webhook that records posts.
"""
from __future__ import annotations

import logging
import re
import time

import pytest

from labkit.grading.checks import check, fail
from tests.lab3.helpers import PROBE_DAG_ID, PROBE_ERROR, PROBE_LOGICAL_DATE, PROBE_TASK_ID

ALERT_HINT = "see common/alerts.py: alert_text builds the message, send_to_slack posts it"
SLOW_SLACK_SECONDS = 20  # how long the slow fake holds a request: far beyond any sane timeout


def _run_probe(dag_runner, probe_dag, **kwargs):
    return dag_runner(probe_dag, logical_date=PROBE_LOGICAL_DATE, **kwargs)


def _texts(slack_webhook) -> list[str]:
    return [post.message() or post.body.decode("utf-8", "replace") for post in slack_webhook.posts]


def _missing_facts(text: str, run_id: str, try_number: int, tries: int) -> list[str]:
    """The facts an on-call person needs that `text` does not show. `tries`: retries + 1."""
    shows_try = re.search(rf"(try|attempt)\D{{0,15}}{try_number}\b", text, re.I) is not None
    shows_total = re.search(rf"(try|attempt)\D{{0,15}}{try_number}\D{{1,15}}{tries}\b", text, re.I) is not None
    wanted = {
        f"the DAG id ({PROBE_DAG_ID})": PROBE_DAG_ID in text,
        f"the task id ({PROBE_TASK_ID})": PROBE_TASK_ID in text,
        f"the run id ({run_id})": run_id in text,
        f"the try number ({try_number})": shows_try,
        f"how many tries the task has (try {try_number} of {tries}: retries + 1)": shows_total or not shows_try,
        "the logical date (2026-03-14)": "2026-03-14" in text,
        "the exception type (ValueError)": "ValueError" in text,
        f"the error message ({PROBE_ERROR})": PROBE_ERROR in text,
        "a link to the task's log (ti.log_url)": f"/dags/{PROBE_DAG_ID}/runs/" in text and f"/tasks/{PROBE_TASK_ID}" in text,
    }
    return [fact for fact, shown in wanted.items() if not shown]


class Logs:
    """Everything the run logged: stdlib records (your `logging` calls) and what Airflow's
    structlog printed (task errors, 'Failed to run task callback' with its traceback)."""

    _EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Timeout)\w*)(: .*)?$")

    def __init__(self, caplog, capfd) -> None:
        out, err = capfd.readouterr()
        self.records = list(caplog.records)
        self.text = "\n".join([caplog.text, out, err])

    def alert_errors(self) -> list[str]:
        """ERROR records about the alert, from your code: not the task's own failure, not a crashed
        callback, not the Slack SDK's own 'Failed to send a request' (that one is not your report)."""
        lines = [r.getMessage() for r in self.records if r.levelno >= logging.ERROR and not r.name.startswith("slack_sdk")]
        return [
            line for line in lines
            if re.search(r"slack|alert", line.replace(PROBE_DAG_ID, ""), re.I) and "Failed to run task callback" not in line
        ]

    def callback_crashes(self) -> list[str]:
        """What each crashed callback raised (Airflow logs 'Failed to run task callback' and a traceback)."""
        lines = self.text.splitlines()
        crashes = []
        for i, line in enumerate(lines):
            if "Failed to run task callback" in line:
                raised = next((m.group(0) for later in lines[i + 1 : i + 80] if (m := self._EXCEPTION.match(later))), "an exception")
                crashes.append(raised)
        return crashes

    def no_post_reason(self) -> str:
        crashes = self.callback_crashes()
        return f"\n  your callback raised {crashes[0]}" if crashes else ""


@pytest.mark.points(3)
def test_a_failed_task_posts_one_alert_with_the_facts(alerts, probe_dag, slack_webhook, dag_runner, caplog, capfd):
    """A failing task posts exactly one Slack alert naming the event, DAG, task, run, try (of retries + 1), logical date, error and log link"""
    result = _run_probe(dag_runner, probe_dag)
    check(result.state == "failed", f"the probe DAG should fail, got {result.summary()}")
    texts = _texts(slack_webhook)
    check(len(texts) == 1, f"Slack received {len(texts)} posts for one failed task; expected exactly 1" + Logs(caplog, capfd).no_post_reason(),
          ALERT_HINT)
    missing = _missing_facts(texts[0], result.run_id, 1, 1)  # the kit runs it with retries=0: try 1 of 1
    if re.search(r"fail", texts[0], re.I) is None:
        missing.insert(0, "the event (that the task failed)")
    check(not missing, "the alert does not show " + "; ".join(missing) + f"\n  it said: {texts[0]!r}", ALERT_HINT)


@pytest.mark.points(1)
def test_a_retry_posts_a_retry_notice_then_the_failure(alerts, probe_dag, slack_webhook, dag_runner, caplog, capfd):
    """With one retry, Slack gets a retry notice for try 1, then the failure alert for try 2"""
    result = _run_probe(dag_runner, probe_dag, keep_retries=True)
    texts = _texts(slack_webhook)
    check(len(texts) == 2, f"Slack received {len(texts)} posts for a task that failed, retried and failed again; expected 2"
          + Logs(caplog, capfd).no_post_reason(),
          "on_retry_callback=task_retry_alert posts the first, on_failure_callback=task_failure_alert the second")
    check(re.search(r"retr", texts[0], re.I) is not None, f"the first post should say the task will be retried: {texts[0]!r}")
    for text, what, number in ((texts[0], "the retry notice", 1), (texts[1], "the failure alert", 2)):
        missing = _missing_facts(text, result.run_id, number, 2)  # retries=1: two tries in all
        check(not missing, f"{what} (try {number} of 2) does not show " + "; ".join(missing) + f"\n  it said: {text!r}",
              "the try number comes from ti.try_number, the number of tries from the task's retries + 1")


@pytest.mark.points(2)
def test_the_webhook_secret_stays_out_of_logs_and_messages(alerts, probe_dag, slack_webhook, dag_runner, caplog, capfd):
    """Neither the alert nor any log line shows the webhook's secret, whether Slack answers or fails"""
    caplog.set_level(logging.DEBUG)
    secret = slack_webhook.token.rsplit("/", 1)[-1]
    _run_probe(dag_runner, probe_dag)
    slack_webhook.mode = "error"  # failures are where URLs leak: error messages quote them
    _run_probe(dag_runner, probe_dag)
    logs = Logs(caplog, capfd)
    check(len(slack_webhook.posts) == 2,
          f"expected an alert attempt per run, Slack saw {len(slack_webhook.posts)}" + logs.no_post_reason(), ALERT_HINT)
    check(not any(secret in text for text in _texts(slack_webhook)), "the alert message contains the webhook's secret")
    leaks = [line.strip().replace(secret, "<SECRET>") for line in logs.text.splitlines() if secret in line]
    check(not leaks, "the webhook's secret (the last part of its URL) appears in the log:\n  " + "\n  ".join(leaks[:3]),
          "log the connection id, never the URL; an HTTP error's message often quotes the URL it failed on")


@pytest.mark.points(2)
def test_a_slack_outage_is_logged_loudly_and_keeps_the_task_error(alerts, probe_dag, slack_webhook, dag_runner, caplog, capfd):
    """When Slack answers 500, the task still fails with its own error and the log says loudly that no alert went out"""
    caplog.set_level(logging.INFO)
    slack_webhook.mode = "error"
    result = _run_probe(dag_runner, probe_dag)
    check(result.state == "failed" and "ValueError" in result.errors.get(PROBE_TASK_ID, ""),
          f"the task must fail with its own ValueError: {result.summary()}")
    logs = Logs(caplog, capfd)
    check(len(slack_webhook.posts) == 1,
          f"expected one alert attempt, Slack saw {len(slack_webhook.posts)}" + logs.no_post_reason(), ALERT_HINT)
    crashes = logs.callback_crashes()
    check(not crashes, f"your callback raised {crashes[0] if crashes else ''} when Slack failed: Airflow logged 'Failed to run "
          "task callback' with a second traceback, which readers mistake for the cause",
          "catch the error inside send_to_slack and log one clear line")
    check(bool(logs.alert_errors()), "Slack failed and nothing was logged at ERROR level about the alert: nobody learns "
          "that alerts are broken", "log.error(...) naming the connection and the error, never `except: pass`")


@pytest.mark.points(2)
@pytest.mark.timeout(60)
def test_a_slow_slack_gives_up_within_the_timeout(alerts, probe_dag, slack_webhook, dag_runner, caplog, capfd, monkeypatch):
    """A Slack that never answers costs the task only the alert's timeout, and that is logged as an error"""
    caplog.set_level(logging.INFO)
    if hasattr(alerts, "TIMEOUT_SECONDS"):
        monkeypatch.setattr(alerts, "TIMEOUT_SECONDS", 1)  # keeps this test short; your value is for production
    slack_webhook.mode = "slow"
    slack_webhook.delay = SLOW_SLACK_SECONDS
    started = time.monotonic()
    result = _run_probe(dag_runner, probe_dag)
    waited = time.monotonic() - started
    check(waited < SLOW_SLACK_SECONDS / 2,
          f"the run took {waited:.0f} s against a Slack that holds every request {SLOW_SLACK_SECONDS} s: the alert waited for it",
          "pass timeout=TIMEOUT_SECONDS to SlackWebhookHook (the Slack SDK's default is 30 s, per try)")
    check(result.state == "failed" and "ValueError" in result.errors.get(PROBE_TASK_ID, ""),
          f"the task must fail with its own ValueError: {result.summary()}")
    logs = Logs(caplog, capfd)
    check(len(slack_webhook.posts) == 1,
          f"expected one alert attempt, Slack saw {len(slack_webhook.posts)}" + logs.no_post_reason(), ALERT_HINT)
    crashes = logs.callback_crashes()
    check(not crashes, f"the alert timed out and your callback raised {crashes[0] if crashes else ''}: Airflow logged 'Failed to "
          "run task callback' with a second traceback", "catch the error inside send_to_slack and log one clear line")
    check(bool(logs.alert_errors()), "the alert timed out and nothing was logged at ERROR level about it",
          "log.error(...) naming the connection and the error, never `except: pass`")


def _error_lines(caplog) -> list[str]:
    """ERROR records of this call, but the Slack SDK's own 'Failed to send a request' (not your report)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and not r.name.startswith("slack_sdk")]


@pytest.mark.points(2)
def test_send_to_slack_says_whether_the_alert_went_out(alerts, slack_webhook, caplog):
    """send_to_slack returns True when Slack takes the message; on a 500 it returns False after one error line naming slack_alerts"""
    caplog.set_level(logging.INFO)
    secret = slack_webhook.token.rsplit("/", 1)[-1]
    try:
        sent = alerts.send_to_slack("labkit: a message Slack accepts")
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - what it raised is the finding
        fail(f"send_to_slack raised {type(err).__name__} while Slack answered 200: {str(err).replace(secret, '<SECRET>')[:200]}",
             ALERT_HINT)
    check(len(slack_webhook.posts) == 1, f"send_to_slack made {len(slack_webhook.posts)} posts for one message; expected 1", ALERT_HINT)
    check(sent is True, f"send_to_slack returned {sent!r} when Slack accepted the message; expected True",
          "return True once .send(...) went through: the caller learns that someone was told")

    slack_webhook.mode = "error"
    caplog.clear()
    try:
        sent = alerts.send_to_slack("labkit: a message Slack refuses")
    except Exception as err:  # noqa: BLE001 - it must never raise
        fail(f"send_to_slack raised {type(err).__name__} when Slack answered 500; it must never raise",
             "catch every exception inside send_to_slack, log one error line and return False")
    lines = _error_lines(caplog)
    leaks = [line.replace(secret, "<SECRET>") for line in lines if secret in line]
    check(not leaks, f"the error line shows the webhook's secret: {leaks[0][:200] if leaks else ''}",
          "log the connection id, never the URL; an HTTP error's message often quotes the URL it failed on")
    check(sent is False, f"send_to_slack returned {sent!r} when Slack answered 500; expected False",
          "return False from the except block: the caller learns that nobody was told")
    check(bool(lines), "Slack answered 500 and send_to_slack logged nothing at ERROR level: nobody learns that alerts are broken",
          "log.error(...) naming the connection and the error, never `except: pass`")
    check(len(lines) == 1, f"one failed post logged {len(lines)} ERROR lines; expected exactly one:\n  " + "\n  ".join(
          line.splitlines()[0][:160] for line in lines[:4]), "one log.error line per failed alert: the task's own error must stay the loudest")
    check("slack_alerts" in lines[0],
          f"the error line does not name the connection 'slack_alerts': {lines[0][:200]!r}",
          "name the connection (conn_id): whoever reads the log then knows which one to check")

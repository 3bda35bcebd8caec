# Generated from dags/common/alerts.py by `labkit release`: edit the parts marked TODO.
"""Slack alerts for failed and retried tasks (슬랙 연동).

Use them in any DAG:

    default_args = {
        "on_failure_callback": task_failure_alert,
        "on_retry_callback": task_retry_alert,
    }

The webhook lives in the Airflow connection `slack_alerts` (type "Slack Incoming
Webhook": host `https://hooks.slack.com/services`, password `T…/B…/…`). Airflow masks a
connection's password in the UI and in task logs; the course kept the same secret in a
Variable named `slack_url`, which nothing masks.

What an on-call person needs from an alert: which task, which run, which try, what
broke, and one click to the log. What the alert must never do: hang the worker when Slack
is slow, leak the webhook into a log, or bury the task's own error under its own.
"""
from __future__ import annotations

import logging
from typing import Any

from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

log = logging.getLogger(__name__)

SLACK_CONN_ID = "slack_alerts"
TIMEOUT_SECONDS = 10  # Slack answers in well under a second; longer means it is down
MAX_ERROR_CHARS = 300  # a whole traceback belongs in the log, not in a chat message


def exception_summary(error: BaseException | str | None) -> str:
    """`ValueError: the first line of its message`, shortened: what broke, at a glance."""
    if error is None:
        return "no exception recorded (the task may have been killed or timed out)"
    if isinstance(error, str):
        text = error
    else:
        message = str(error).strip().splitlines()
        text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def alert_text(context: dict[str, Any], event: str = "failed") -> str:
    """The message for one task event, from the callback's context."""
    # TODO: a first line naming the event, DAG and task; then run id, try number (of retries + 1), logical date, exception_summary(context["exception"]) and the log link (ti.log_url)
    raise NotImplementedError('TODO: a first line naming the event, DAG and task; then run id, try number (of retries + 1), logical date, exception_summary(context["exception"]) and the log link (ti.log_url)')


def send_to_slack(text: str, conn_id: str = SLACK_CONN_ID) -> bool:
    """Post `text` through the webhook connection. True when Slack accepted it.

    Never raises: this runs inside failure callbacks, where an exception of our own would
    come after the task's traceback and be mistaken for the cause.
    """
    # TODO: post `text` with a SlackWebhookHook for connection conn_id, with timeout TIMEOUT_SECONDS; on any exception log ONE error line (the exception's type and message, never the webhook URL) and return False
    raise NotImplementedError("TODO: post `text` with a SlackWebhookHook for connection conn_id, with timeout TIMEOUT_SECONDS; on any exception log ONE error line (the exception's type and message, never the webhook URL) and return False")


def task_failure_alert(context: dict[str, Any]) -> None:
    """on_failure_callback: tell Slack a task failed for good."""
    send_to_slack(alert_text(context, "failed"))


def task_retry_alert(context: dict[str, Any]) -> None:
    """on_retry_callback: tell Slack a task failed and will be retried (no action needed yet)."""
    send_to_slack(alert_text(context, "will retry"))

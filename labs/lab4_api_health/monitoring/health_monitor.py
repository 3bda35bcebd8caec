# Generated from dags/monitoring/health_monitor.py by `labkit release`: edit the parts marked TODO.
"""Check Airflow's health from the outside, print a report, alert Slack when it is not healthy.

Run it every few minutes from cron (or a systemd timer, or your monitoring agent) on a
machine that is not the one Airflow runs on:

    */5 * * * *  cd /opt/dags && python -m monitoring.health_monitor --max-age 120 || true

It reads AIRFLOW_API_URL / _USER / _PASSWORD, and posts alerts through the Slack webhook
connection `slack_alerts` (lab 3), e.g. AIRFLOW_CONN_SLACK_ALERTS. Its exit code is the
Nagios convention (0 OK, 2 CRITICAL, 3 UNKNOWN), so Datadog, Grafana or Nagios can run it too.

Why not a DAG? A DAG that checks the scheduler runs only while the scheduler runs: the
day the scheduler hangs, the monitor goes quiet with it.
"""
from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from monitoring.airflow_api import UNKNOWN, AirflowAPIError, AirflowClient, HealthReport, check_health

SLACK_CONN_ID = "slack_alerts"
SLACK_TIMEOUT_SECONDS = 10


def notify_slack(text: str, conn_id: str = SLACK_CONN_ID) -> bool:
    """Post `text` through the webhook connection; True when Slack took it. Never raises."""
    # Imported here, not at the top: importing Airflow takes seconds, and a healthy check needs none of it.
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    # TODO: send `text` with a SlackWebhookHook for connection conn_id, with timeout SLACK_TIMEOUT_SECONDS; on any exception print ONE line to stderr (the exception's type and message, never the webhook URL) and return False
    raise NotImplementedError("TODO: send `text` with a SlackWebhookHook for connection conn_id, with timeout SLACK_TIMEOUT_SECONDS; on any exception print ONE line to stderr (the exception's type and message, never the webhook URL) and return False")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m monitoring.health_monitor", description=__doc__.splitlines()[0])
    parser.add_argument("--max-age", type=float, default=60, help="seconds after which a heartbeat is stale (default 60)")
    parser.add_argument("--slack-conn", default=SLACK_CONN_ID, help="Airflow connection of the Slack webhook")
    parser.add_argument("--no-alert", action="store_true", help="print the report only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """One check: print the report, alert Slack unless OK, return the exit code."""
    args = parse_args(argv)
    # TODO: AirflowClient.from_env() (its AirflowAPIError → HealthReport(error=...)); check_health with max_age=timedelta(seconds=args.max_age); print report.summary(); unless the exit code is OK (or --no-alert), notify_slack(":rotating_light: " + summary, args.slack_conn); return report.exit_code
    raise NotImplementedError('TODO: AirflowClient.from_env() (its AirflowAPIError → HealthReport(error=...)); check_health with max_age=timedelta(seconds=args.max_age); print report.summary(); unless the exit code is OK (or --no-alert), notify_slack(":rotating_light: " + summary, args.slack_conn); return report.exit_code')


if __name__ == "__main__":
    sys.exit(main())

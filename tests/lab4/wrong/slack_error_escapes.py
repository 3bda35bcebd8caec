"""No try/except around the Slack call: when Slack is down, the monitor crashes instead of returning its exit code."""
FILE = "monitoring/health_monitor.py"
MUST_FAIL = ["test_notify_slack_says_whether_the_alert_went_out", "test_monitor_survives_a_slack_outage"]
FIRST_REASON = r"raised .* when Slack answered 500: it must never raise"
EDITS = [
    ("""    try:
        SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=SLACK_TIMEOUT_SECONDS).send(text=text)
        return True
    except Exception as error:
        print(f"could not alert Slack through connection {conn_id!r}: {type(error).__name__}: {error}", file=sys.stderr)
        return False
""", """    SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=SLACK_TIMEOUT_SECONDS).send(text=text)
    return True
"""),
]

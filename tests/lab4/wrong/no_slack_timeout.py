"""No timeout on the Slack call: a Slack that never answers holds every run of the monitor 30 s (the SDK's default)."""
FILE = "monitoring/health_monitor.py"
MUST_FAIL = ["test_a_slow_slack_costs_only_the_timeout"]
FIRST_REASON = r"never answers was still waiting.*SLACK_TIMEOUT_SECONDS|timeout=SLACK_TIMEOUT_SECONDS"
EDITS = [
    ("""        SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=SLACK_TIMEOUT_SECONDS).send(text=text)
""", """        SlackWebhookHook(slack_webhook_conn_id=conn_id).send(text=text)
"""),
]

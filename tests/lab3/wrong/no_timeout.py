"""No timeout on the Slack call: a Slack that never answers holds the failing task 30 s per try."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_a_slow_slack_gives_up_within_the_timeout"]
FIRST_REASON = r'timeout'
EDITS = [
    ("        SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=TIMEOUT_SECONDS).send(text=text)\n",
     "        SlackWebhookHook(slack_webhook_conn_id=conn_id).send(text=text)\n"),
]

"""Logs the webhook URL when Slack fails: the secret lands in every task log that reads it."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_the_webhook_secret_stays_out_of_logs_and_messages"]
FIRST_REASON = r'secret .*appears in the log'
EDITS = [
    ("""    try:
        SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=TIMEOUT_SECONDS).send(text=text)
    except Exception as err:  # noqa: BLE001 - an alert that fails must not fail louder than the task""",
     """    hook = SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=TIMEOUT_SECONDS)
    try:
        hook.send(text=text)
    except Exception as err:  # noqa: BLE001
        log.error("could not post to %s", hook.client.url)"""),
]

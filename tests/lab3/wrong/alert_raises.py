"""No try/except: when Slack fails, the callback raises and a second traceback follows the task's own."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_a_slack_outage_is_logged_loudly_and_keeps_the_task_error"]
FIRST_REASON = r'callback raised'
EDITS = [
    ("""    try:
        SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=TIMEOUT_SECONDS).send(text=text)
    except Exception as err:""",
     """    SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=TIMEOUT_SECONDS).send(text=text)
    try:
        pass
    except Exception as err:"""),
]

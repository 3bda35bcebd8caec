"""task_retry_alert does nothing: a flaky task fails quietly until its last try."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_a_retry_posts_a_retry_notice_then_the_failure"]
FIRST_REASON = r'on_retry_callback'
EDITS = [
    ("""    send_to_slack(alert_text(context, "will retry"))""", """    pass"""),
]

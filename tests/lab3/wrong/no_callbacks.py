"""Forgets the callbacks in default_args: the DAGs fail silently."""
FILE = "lab3_sheet_to_warehouse.py"
MUST_FAIL = ["test_both_dags_alert_slack_on_every_failure_and_retry"]
FIRST_REASON = r'does not call task_failure_alert'
EDITS = [
    ("""        "on_failure_callback": task_failure_alert,
        "on_retry_callback": task_retry_alert,
""", ""),
]

"""Judges the heartbeat's age alone: a scheduler stopped seconds ago still has a fresh heartbeat."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_stopped_scheduler_is_reported"]
FIRST_REASON = r'calls it healthy|check the status too'
EDITS = [
    ("""    elif status != "healthy":
        reason = f"Airflow reports it {status}"
""", ""),
]

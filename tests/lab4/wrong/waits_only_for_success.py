"""Waits for "success" only: a run that failed holds the caller until the timeout, which then reports it as still running."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_a_failed_run_ends_the_wait"]
FIRST_REASON = r"had failed before the wait began"
EDITS = [
    ("""        if run["state"] in FINAL_STATES:
            return run
""", """        if run["state"] == "success":
            return run
"""),
]

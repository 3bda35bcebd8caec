"""wait_for_run() polls without a pause: hundreds of requests a second against the API server until the run ends."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_wait_for_run_polls_every_poll_interval"]
FIRST_REASON = r"asked for the run \d+ times in .*one per poll_interval"
EDITS = [
    ("""        time.sleep(poll_interval)
""", ""),
]

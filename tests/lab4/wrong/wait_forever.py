"""wait_for_run() without a deadline: a run that never starts (paused DAG, dead scheduler) holds the caller forever."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_wait_for_run_gives_up_after_its_timeout"]
FIRST_REASON = r'never starts was still waiting|deadline'
EDITS = [
    ("""        if time.monotonic() >= deadline:
            raise AirflowAPIError(
                f"run {run_id} of {dag_id} was still {run['state']!r} after {timeout:g} s "
                "(is the DAG paused, or the scheduler down?)"
            )
""", ""),
]

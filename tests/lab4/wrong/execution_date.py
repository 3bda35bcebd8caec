"""Airflow 2's "execution_date" in the new run's body: Airflow 3 refuses it with 422."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_trigger_with_conf_and_wait_for_success"]
FIRST_REASON = r'execution_date'
EDITS = [
    ("""    body: dict[str, Any] = {"logical_date": logical_date.isoformat() if logical_date else None, "conf": conf or {}}
""", """    body: dict[str, Any] = {"execution_date": logical_date.isoformat() if logical_date else None, "conf": conf or {}}
"""),
]

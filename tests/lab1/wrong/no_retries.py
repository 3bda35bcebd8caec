"""No retries and the default catch-up: one network blip fails the day's load."""
MUST_FAIL = ["test_the_dag_is_ready_for_production"]
FIRST_REASON = r'retries'
EDITS = [
    ('    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},\n', ""),
]

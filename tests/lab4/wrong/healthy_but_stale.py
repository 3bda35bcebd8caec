"""Trusts Airflow's "healthy" alone: a scheduler whose last heartbeat is 10 minutes old passes as healthy."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_healthy_but_stale_is_unhealthy"]
FIRST_REASON = r'10 minutes old|hung scheduler'
EDITS = [
    ("""    elif heartbeat is not None and now - heartbeat > max_age:
        age = (now - heartbeat).total_seconds()
        reason = f"stale: last heartbeat {age:.0f} s ago (limit {max_age.total_seconds():g} s)"
""", ""),
]

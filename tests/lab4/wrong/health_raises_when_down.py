"""check_health() lets the connection error escape: the monitor dies with a traceback exactly when Airflow is down."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_unreachable_api_is_unknown"]
FIRST_REASON = r'check_health\(\) raised|HealthReport\(error'
EDITS = [
    ("""    try:
        health = client.request("GET", "/api/v2/monitor/health", authenticated=False)
    except AirflowAPIError as error:
        return HealthReport(error=str(error))
""", """    health = client.request("GET", "/api/v2/monitor/health", authenticated=False)
"""),
]

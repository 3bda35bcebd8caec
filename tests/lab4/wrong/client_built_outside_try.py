"""from_env() outside the try: without AIRFLOW_API_PASSWORD the monitor dies with a traceback (cron sees exit 1, not UNKNOWN)."""
FILE = "monitoring/health_monitor.py"
MUST_FAIL = ["test_monitor_without_credentials_is_unknown"]
FIRST_REASON = r"AIRFLOW_API_PASSWORD unset: cron sees a crash"
EDITS = [
    ("""    try:
        report = check_health(AirflowClient.from_env(), max_age=timedelta(seconds=args.max_age))
    except AirflowAPIError as error:
        report = HealthReport(error=str(error))
""", """    client = AirflowClient.from_env()
    report = check_health(client, max_age=timedelta(seconds=args.max_age))
"""),
]

# Generated from dags/monitoring/__init__.py by `labkit release`: edit the parts marked TODO.
"""Watching Airflow from the outside (API & 모니터링): a REST API client and a health monitor.

    from monitoring.airflow_api import AirflowClient, check_health

    client = AirflowClient.from_env()        # AIRFLOW_API_URL / _USER / _PASSWORD
    report = check_health(client)
    print(report.summary()); raise SystemExit(report.exit_code)

Nothing here runs inside Airflow: a monitor must keep working when the scheduler it
watches has stopped, so it runs from cron, a systemd timer or your monitoring system.
"""

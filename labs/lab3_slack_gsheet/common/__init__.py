# Generated from dags/common/__init__.py by `labkit release`: edit the parts marked TODO.
"""Helpers the course DAGs share: Slack alerts (alerts.py), Google Sheets clients (sheets.py)
and the warehouse connection (warehouse.py, given).

Airflow puts the DAGs folder on `sys.path`, so a DAG file imports these as
`from common.alerts import ...`. Keep them free of work at import time: the DAG
processor imports every DAG file (and with it this package) every few seconds.
"""

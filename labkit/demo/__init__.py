"""The class demo: every reference DAG in a local, production-shaped Airflow 3.3.

    labkit demo        start it, print the URL and the login, run until Ctrl-C
    labkit demo-run    start it, run every reference DAG once, print a table, stop

`state` keeps what outlives a demo (logins, PostgreSQL data, logs); `stack` starts and
stops the parts; `run` is the demo-run's plan: which DAG runs after which, on which day.
"""

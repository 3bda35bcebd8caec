"""Lab 3 · the DAG files: they parse, and every task alerts through your callbacks."""
from __future__ import annotations

from pathlib import Path

import pytest

from labkit.grading.checks import check
from labkit.grading.dagcheck import import_failure
from labkit.grading.fixtures import dags_in_file


def _callbacks(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value] if value else []


@pytest.mark.points(1)
def test_both_dags_alert_slack_on_every_failure_and_retry(alerts, to_warehouse, to_sheet):
    """Both DAG files parse, and every task has task_failure_alert and task_retry_alert as callbacks"""
    for module, dag_id in ((to_warehouse, "lab3_sheet_to_warehouse"), (to_sheet, "lab3_sql_to_sheet")):
        name = Path(module.__file__).name
        dags, errors = dags_in_file(Path(module.__file__))
        check(not errors, import_failure(name, errors))
        check(dag_id in dags, f"no DAG with dag_id {dag_id!r} in {name}")
        for task in dags[dag_id].tasks:
            check(alerts.task_failure_alert in _callbacks(task.on_failure_callback),
                  f"{dag_id}.{task.task_id} does not call task_failure_alert when it fails",
                  "set on_failure_callback in the DAG's default_args")
            check(alerts.task_retry_alert in _callbacks(task.on_retry_callback),
                  f"{dag_id}.{task.task_id} does not call task_retry_alert when it is retried",
                  "set on_retry_callback in the DAG's default_args")

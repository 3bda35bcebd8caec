"""Lab 1 · the DAG: parses cleanly, is configured for production, and runs in Airflow 3."""
from __future__ import annotations

from pathlib import Path

import pytest

from labkit.grading.checks import check, check_rows
from labkit.grading.dagcheck import import_failure, top_level_calls
from labkit.grading.fixtures import dags_in_file, find_dag
from tests.lab1.helpers import COLUMNS, TABLE, table_rows

DAG_ID = "lab1_dedupe_upsert"


@pytest.mark.points(2)
def test_the_dag_is_ready_for_production(lab):
    """The DAG parses with no import errors: a schedule, catchup=False, retries, no top-level Variable.get"""
    path = Path(lab.__file__)
    calls = top_level_calls(path, "Variable.get")  # first: it is also why such a file fails to import
    check(not calls, f"Variable.get at the top level of the file (line {', '.join(map(str, calls))})",
          "read Variables inside a task: top-level code runs at every parse and fails the file when the Variable is missing")
    dags, errors = dags_in_file(path)
    check(not errors, import_failure(path.name, errors))
    check(DAG_ID in dags, f"no DAG with dag_id {DAG_ID!r} in {path.name} (found: {', '.join(dags) or 'none'})")
    dag = dags[DAG_ID]
    check(dag.timetable.can_be_scheduled, "the DAG has no schedule",
          'pass schedule="0 6 * * *" (Airflow 3 removed schedule_interval)')
    check(dag.catchup is False, "catchup should be False: a new DAG must not backfill months of forecasts")
    no_retries = [task.task_id for task in dag.tasks if not task.retries]
    check(not no_retries, f"task(s) without retries: {', '.join(no_retries)}",
          'default_args={"retries": 2, "retry_delay": timedelta(minutes=5)}')


@pytest.mark.points(2)
@pytest.mark.timeout(120)
def test_the_dag_runs_end_to_end(lab, warehouse, weather_api, dag_runner):
    """The whole DAG succeeds under dag.test() against the local API and warehouse"""
    result = dag_runner(find_dag(lab, DAG_ID))
    check(result.succeeded, result.summary())
    check_rows(table_rows(warehouse), weather_api.expected_rows(1), what=TABLE, columns=COLUMNS)


@pytest.mark.points(1)
@pytest.mark.timeout(120)
def test_a_failing_api_fails_the_run_and_keeps_the_table(lab, warehouse, weather_api, dag_runner):
    """A failing API fails the run and leaves the table as it was"""
    warehouse.execute(
        f"CREATE TABLE {TABLE} (date date, temp float, min_temp float, max_temp float, summary text, "
        "created_date timestamp DEFAULT now())"
    )
    warehouse.execute(f"INSERT INTO {TABLE} (date, temp, min_temp, max_temp, summary) VALUES ('2026-10-31', 1, 0, 2, 'kept')")
    before = table_rows(warehouse)
    dag = find_dag(lab, DAG_ID)
    for mode in ("error", "empty"):
        weather_api.mode = mode
        asked = weather_api.requests
        result = dag_runner(dag)
        check(not result.succeeded, f"with the API answering {mode!r} the run succeeded; it must fail:\n{result.summary()}")
        check(weather_api.requests > asked, f"the run failed before it called the API, so this test proves nothing yet:\n{result.summary()}")
    check_rows(table_rows(warehouse), before, what=f"{TABLE} after failed runs", columns=COLUMNS)

"""Lab 2 · the DAG: one task per config, in dependency order, all built under dag.test()."""
from __future__ import annotations

from pathlib import Path

import pytest

from labkit.grading.checks import check
from labkit.grading.dagcheck import import_failure
from labkit.grading.fixtures import dags_in_file
from tests.lab2.helpers import CONFIGS, tables

DAG_ID = "lab2_nps_summary"


@pytest.mark.points(2)
@pytest.mark.timeout(180)
def test_the_dag_builds_every_config_in_dependency_order(lab, warehouse, dag_runner):
    """The DAG has one task per config, respects depends_on, and builds every summary under dag.test()"""
    dags, errors = dags_in_file(Path(lab.__file__))
    check(not errors, import_failure("the file", errors))
    dag = dags[DAG_ID]
    wanted = {f"build_{p.stem}" for p in CONFIGS.glob("*.yaml")}
    check(set(dag.task_dict) == wanted, f"tasks {sorted(dag.task_dict)}; expected {sorted(wanted)}")
    check("build_nps_summary_daily" in dag.task_dict["build_nps_summary_monthly"].upstream_task_ids,
          "build_nps_summary_monthly must run after build_nps_summary_daily (depends_on)")
    check(all(task.on_failure_callback for task in dag.tasks), "every task needs an on_failure_callback (the alert hook lab 3 sends to Slack)")
    result = dag_runner(dag)
    check(result.succeeded, result.summary())
    built = tables(warehouse)
    check(all(t in built for t in ("nps_summary_daily", "nps_summary_monthly", "mau_summary", "channel_summary")),
          f"tables in analytics after the run: {', '.join(built) or 'none'}")

"""Lab 5 · trigger rules: cleanup runs whatever happened, and a failure stays a failure."""
from __future__ import annotations

import pendulum
import pytest

from labkit.grading.checks import check, fail
from labkit.grading.fixtures import find_dag, run_dag
from tests.lab5.helpers import LATEST, expect_states

FAILED_DAY = pendulum.datetime(2026, 3, 18, tz="UTC")
GOOD_DAY = pendulum.datetime(2026, 3, 19, tz="UTC")


@pytest.mark.points(3)
def test_cleanup_runs_after_a_failure_and_the_run_still_fails(latest_only_module):
    """publish fails: cleanup runs anyway (all_done), watcher fails (one_failed), and the run is marked failed"""
    ran = run_dag(find_dag(latest_only_module, LATEST), logical_date=FAILED_DAY, run_conf={"fail_publish": True})
    expect_states(ran, {"publish": "failed"}, "publish fails when the conf asks it to")
    expect_states(ran, {"cleanup": "success"}, "cleanup must run after a failure (trigger_rule=TriggerRule.ALL_DONE)")
    expect_states(ran, {"watcher": "failed"}, "watcher (trigger_rule=ONE_FAILED) runs and fails when an upstream task failed")
    if ran.state != "failed":
        fail(f"publish failed but the run is {ran.state}: the successful cleanup hid the failure\n{ran.summary()}",
             "a leaf task with one_failed that raises (watcher) keeps the run failed")


@pytest.mark.points(1)
def test_a_good_run_cleans_up_and_succeeds(latest_only_module):
    """Nothing fails: cleanup runs, watcher is skipped, and the run succeeds"""
    ran = run_dag(find_dag(latest_only_module, LATEST), logical_date=GOOD_DAY)
    expect_states(ran, {"build_tables": "success", "publish": "success", "cleanup": "success", "watcher": "skipped"},
                  "a run without failures")
    check(ran.succeeded, f"the run should succeed\n{ran.summary()}")

"""Lab 5 · branching: by a Variable and by the logical date, and a join that survives a skip."""
from __future__ import annotations

import pendulum
import pytest

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.fixtures import find_dag, run_dag
from tests.lab5.helpers import REPORT, expect_states, runs_of

MONDAY = pendulum.datetime(2026, 3, 16, tz="UTC")
TUESDAY = pendulum.datetime(2026, 3, 17, tz="UTC")
DAG_ID = "lab5_branching"
JOIN_HINT = ("the join follows a branch, so one of its upstream tasks is always skipped: "
             "trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS (the default all_success skips it)")


@pytest.mark.points(1)
def test_next_by_mode(branching_module):
    """next_by_mode: "prod" → trigger_report, "dev" (any case, spaces) → skip_trigger, anything else → ValueError"""
    for mode, expected in (("prod", "trigger_report"), ("dev", "skip_trigger"), (" Dev ", "skip_trigger"), ("PROD", "trigger_report")):
        outcome = finishes_within(5, lambda: branching_module.next_by_mode(mode), f"next_by_mode({mode!r})")
        check(outcome.error is None, f"next_by_mode({mode!r}) raised {type(outcome.error).__name__}: {outcome.error}")
        check_equal(outcome.result, expected, f"next_by_mode({mode!r})")
    outcome = finishes_within(5, lambda: branching_module.next_by_mode("staging"), "next_by_mode('staging')")
    got = repr(outcome.error) if outcome.error else f"{outcome.result!r}"
    check(isinstance(outcome.error, ValueError), f"next_by_mode('staging') should raise ValueError, got {got}",
          "a typo in the Variable must not silently run production work (or silently skip it)")


@pytest.mark.points(2)
def test_summaries_follow_the_logical_date(branching_module):
    """summaries_for(logical_date): the weekly summary on Mondays only, whatever day it is today"""
    cases = ((MONDAY, ["daily_summary", "weekly_summary"]), (TUESDAY, ["daily_summary"]),
             (pendulum.datetime(2026, 3, 22, tz="UTC"), ["daily_summary"]),
             (pendulum.datetime(2026, 3, 23, tz="UTC"), ["daily_summary", "weekly_summary"]))
    answers = []
    for day, _ in cases:
        outcome = finishes_within(5, lambda: branching_module.summaries_for(day), "summaries_for()")
        check(outcome.error is None, f"summaries_for({day:%a %Y-%m-%d}) raised {type(outcome.error).__name__}: {outcome.error}")
        answers.append(sorted([outcome.result] if isinstance(outcome.result, str) else list(outcome.result or [])))
    # The same answer for a Monday and a Tuesday: the date was never looked at (the wall clock was).
    hint = ("decide from logical_date.weekday() (Monday is 0), never from datetime.now(): "
            "a rerun of last Monday must build what last Monday built") if answers[0] == answers[1] else (
            "logical_date.weekday() is 0 on Mondays (isoweekday() is 1)")
    for (day, expected), got in zip(cases, answers, strict=True):
        check_equal(got, expected, f"summaries_for({day:%A %Y-%m-%d})", hint)


@pytest.mark.points(3)
def test_dev_mode_on_a_monday(branching_module, monkeypatch):
    """Variable lab5_mode=dev on a Monday: the trigger is skipped, both summaries run, and the join still runs"""
    monkeypatch.setenv("AIRFLOW_VAR_LAB5_MODE", "dev")
    ran = run_dag(find_dag(branching_module, DAG_ID), logical_date=MONDAY)
    expect_states(ran, {"trigger_report": "skipped", "skip_trigger": "success"}, "mode dev skips the trigger")
    expect_states(ran, {"daily_summary": "success", "weekly_summary": "success"}, "a Monday builds both summaries")
    expect_states(ran, {"done": "success"}, "the join runs after the branches")
    if ran.state != "success":
        fail(f"the run should succeed\n{ran.summary()}", JOIN_HINT)


@pytest.mark.points(2)
def test_prod_mode_on_a_tuesday(branching_module, monkeypatch):
    """Variable lab5_mode=prod on a Tuesday: the report is triggered, the weekly summary skipped, the join runs"""
    monkeypatch.setenv("AIRFLOW_VAR_LAB5_MODE", "prod")
    ran = run_dag(find_dag(branching_module, DAG_ID), logical_date=TUESDAY)
    expect_states(ran, {"trigger_report": "success", "skip_trigger": "skipped"}, "mode prod triggers the report")
    expect_states(ran, {"daily_summary": "success", "weekly_summary": "skipped"}, "a Tuesday builds the daily summary only")
    if ran.task_states.get("done") != "success":
        fail(f"the join should run after a skipped branch\n{ran.summary()}", JOIN_HINT)
    check(bool(runs_of(REPORT, TUESDAY)), f"no {REPORT} run was queued for {TUESDAY:%Y-%m-%d}")


@pytest.mark.points(1)
def test_a_mistyped_mode_fails_the_run_and_skips_the_join(branching_module, monkeypatch):
    """Variable lab5_mode=staging (a typo): check_mode fails, the join does not run, and the run fails"""
    monkeypatch.setenv("AIRFLOW_VAR_LAB5_MODE", "staging")
    ran = run_dag(find_dag(branching_module, DAG_ID), logical_date=TUESDAY)
    expect_states(ran, {"check_mode": "failed"}, "an unknown mode is an error")
    error = ran.errors.get("check_mode", "")
    check(error.startswith("ValueError"), f"check_mode failed, but not with next_by_mode's ValueError: {error}")
    join = ran.task_states.get("done")
    check(join != "success", f"done ran ({join}) although the branch before it failed, so the run looks fine\n{ran.summary()}",
          "a join after a branch: none_failed_min_one_success (not all_done, which runs whatever failed upstream)")
    check(ran.state == "failed", f"the run should fail when check_mode fails, but it ended {ran.state}\n{ran.summary()}")

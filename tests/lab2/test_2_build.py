"""Lab 2 · build: checks before the swap, the swap in one transaction, nothing left behind."""
from __future__ import annotations

import threading
import time

import pytest

from labkit.data import nps as nps_data
from labkit.data import sessions as sessions_data
from labkit.grading.checks import check, check_equal, check_rows, fail
from tests.lab2.helpers import course_config, expect_failure, rows, tables

KEEP_HINT = "run every check before the swap, and the swap in one transaction; drop the temporary table on failure"


def _build(lab, warehouse, tmp_path, config, run_id="manual__1"):
    from tests.lab2.helpers import build

    return build(lab, warehouse, config, tmp_path, run_id)


def _only_final_tables(warehouse, expected):
    left = [t for t in tables(warehouse) if t not in expected]
    check(not left, f"left behind in schema analytics: {', '.join(left)}", "drop the temporary table whenever the build fails")


@pytest.mark.points(2)
def test_monthly_nps_matches_an_independent_computation(lab, warehouse, tmp_path, source_rows):
    """nps_summary_monthly holds each month's NPS, equal to an independent computation"""
    _build(lab, warehouse, tmp_path, course_config("nps_summary_monthly"))
    expected = sorted(nps_data.monthly_nps(source_rows["nps"]).items())
    got = [(month.month, float(value)) for month, value in rows(warehouse, "nps_summary_monthly", "month, nps", "month")]
    check_rows(got, expected, what="nps_summary_monthly (month, nps)", columns=("month", "nps"))


@pytest.mark.points(1)
def test_daily_nps_matches_an_independent_computation(lab, warehouse, tmp_path, source_rows):
    """nps_summary_daily holds 365 days, each equal to an independent computation"""
    _build(lab, warehouse, tmp_path, course_config("nps_summary_daily"))
    expected = sorted(nps_data.daily_nps(source_rows["nps"]).items())
    got = [(day, float(value)) for day, value in rows(warehouse, "nps_summary_daily", "day, nps", "day")]
    check_rows(got, expected, what="nps_summary_daily (day, nps)", columns=("day", "nps"))


@pytest.mark.points(2)
def test_mau_and_channel_summaries_match(lab, warehouse, tmp_path, source_rows):
    """mau_summary and channel_summary equal independent computations"""
    usc, ts = source_rows["sessions"]
    _build(lab, warehouse, tmp_path, course_config("mau_summary"))
    _build(lab, warehouse, tmp_path, course_config("channel_summary"))
    check_rows(rows(warehouse, "mau_summary", "month, mau", "month"), sorted(sessions_data.monthly_active_users(usc, ts).items()),
               what="mau_summary", columns=("month", "mau"))
    expected = sorted((user, first, last) for user, (first, last) in sessions_data.first_last_channel(usc, ts).items())
    check_rows(rows(warehouse, "channel_summary", "userid, first_channel, last_channel", "userid"), expected,
               what="channel_summary", columns=("userid", "first_channel", "last_channel"))


def _new_december_answers(warehouse) -> None:
    """5,000 more promoters in December: any rebuild from now on changes the table."""
    warehouse.execute("INSERT INTO public.nps SELECT 10000000 + g, '2019-12-31 12:00', 10 FROM generate_series(1, 5000) g")


def _build_then_fail(lab, warehouse, tmp_path, bad_config):
    """Build the monthly summary, then a failing rebuild: the first table must survive intact."""
    _build(lab, warehouse, tmp_path, course_config("nps_summary_monthly"))
    before = rows(warehouse, "nps_summary_monthly", "*", "month")
    _new_december_answers(warehouse)  # a rebuild that went through would now differ
    err = expect_failure(_build, lab, warehouse, tmp_path, bad_config, "manual__2")
    check_rows(rows(warehouse, "nps_summary_monthly", "*", "month"), before, what="nps_summary_monthly after a failed build",
               hint=KEEP_HINT)
    _only_final_tables(warehouse, ["nps_summary_monthly"])
    return err


@pytest.mark.points(2)
def test_a_failed_input_check_keeps_the_old_table(lab, warehouse, tmp_path):
    """A failed input check fails the build, keeps the previous table and leaves no temp table"""
    bad = course_config("nps_summary_monthly", input_check=[{"sql": "SELECT COUNT(*) FROM public.nps", "min": 10**9}])
    _build_then_fail(lab, warehouse, tmp_path, bad)


@pytest.mark.points(2)
def test_a_failed_output_check_keeps_the_old_table(lab, warehouse, tmp_path):
    """A failed output check fails the build, keeps the previous table and leaves no temp table"""
    bad = course_config("nps_summary_monthly", output_check=[{"sql": "SELECT COUNT(*) FROM {table}", "equals": 13}])
    err = _build_then_fail(lab, warehouse, tmp_path, bad)
    check("13" in str(err) and "12" in str(err), f"the failure should say what was expected and found; it says: {err}")


@pytest.mark.points(1)
def test_a_broken_main_sql_keeps_the_old_table(lab, warehouse, tmp_path):
    """A main_sql that does not run fails the build and keeps the previous table"""
    _build_then_fail(lab, warehouse, tmp_path, course_config("nps_summary_monthly", main_sql="SELECT no_such_column FROM public.nps"))


@pytest.mark.points(1)
def test_the_uniqueness_check_catches_a_duplicated_key(lab, warehouse, tmp_path):
    """A unique check fails when the summary repeats a key"""
    sql = "SELECT date_trunc('month', created_at)::date AS month, 1 AS nps FROM public.nps GROUP BY 1 UNION ALL SELECT DATE '2019-01-01', 2"
    config = course_config("nps_summary_monthly", main_sql=sql, output_check=[{"unique": "month"}])
    err = expect_failure(_build, lab, warehouse, tmp_path, config)
    check("month" in str(err), f"the failure should name the column; it says: {err}",
          "unique: find keys with GROUP BY … HAVING COUNT(*) > 1")


@pytest.mark.points(1)
def test_not_null_and_range_checks_catch_bad_values(lab, warehouse, tmp_path):
    """not_null and range checks fail on a NULL and on an out-of-range value"""
    base = "SELECT date_trunc('month', created_at)::date AS month, {value} AS nps FROM public.nps GROUP BY 1"
    for value, check_ in (("NULL::numeric", {"not_null": "nps"}), ("150", {"range": {"column": "nps", "min": -100, "max": 100}})):
        config = course_config("nps_summary_monthly", main_sql=base.format(value=value), output_check=[check_])
        expect_failure(_build, lab, warehouse, tmp_path, config)
    check("nps_summary_monthly" not in tables(warehouse), "a summary that failed its checks was swapped in")


@pytest.mark.points(2)
def test_a_failed_swap_keeps_the_old_table(lab, warehouse, tmp_path):
    """A swap that fails (a view depends on the table) keeps the old table and the view"""
    _build(lab, warehouse, tmp_path, course_config("nps_summary_monthly"))
    warehouse.execute("CREATE VIEW analytics.nps_2019_h1 AS SELECT * FROM analytics.nps_summary_monthly WHERE month < '2019-07-01'")
    before = rows(warehouse, "nps_summary_monthly", "*", "month")
    _new_december_answers(warehouse)
    err = expect_failure(_build, lab, warehouse, tmp_path, course_config("nps_summary_monthly"), "manual__2")
    check_rows(rows(warehouse, "nps_summary_monthly", "*", "month"), before, what="nps_summary_monthly after a failed swap",
               hint="rename old → aside, temp → table, drop old: all in one transaction, and never DROP … CASCADE")
    check(warehouse.table_exists("nps_2019_h1", "analytics"), "the dependent view was dropped (DROP … CASCADE?)")
    check("nps_2019_h1" in str(err) or "depend" in str(err), f"the error should say a view depends on the table; it says: {err}")


@pytest.mark.points(1)
def test_two_overlapping_builds_do_not_collide(lab, warehouse, tmp_path, source_rows):
    """Two builds of the same summary at once both succeed and leave one correct table"""
    _build(lab, warehouse, tmp_path, course_config("nps_summary_monthly"))
    slow = course_config("nps_summary_monthly")
    slow["main_sql"] = "SELECT s.* FROM (" + slow["main_sql"] + ") s, LATERAL (SELECT pg_sleep(0.1)) z"
    errors: list[BaseException] = []

    def run(run_id: str) -> None:
        try:
            _build(lab, warehouse, tmp_path / run_id, slow, run_id)
        except BaseException as err:  # reported below, in the test's own thread
            errors.append(err)

    for run_id in ("scheduled__a", "scheduled__b"):
        (tmp_path / run_id).mkdir()
    threads = [threading.Thread(target=run, args=(r,)) for r in ("scheduled__a", "scheduled__b")]
    # Overlap for sure, however loaded the machine: the second build starts once the
    # first one's slow query is running in PostgreSQL.
    threads[0].start()
    deadline = time.monotonic() + 10
    while threads[0].is_alive() and time.monotonic() < deadline and not warehouse.query(
        "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%%pg_sleep(0.1)%%' AND pid <> pg_backend_pid()"
    ):
        time.sleep(0.01)
    threads[1].start()
    for t in threads:
        t.join(timeout=30)
    for err in errors:
        if isinstance(err, NotImplementedError):
            raise err
        fail(f"an overlapping build failed: {type(err).__name__}: {err}", "give the temporary table a name unique to the run")
    expected = sorted(nps_data.monthly_nps(source_rows["nps"]).items())
    got = [(month.month, float(value)) for month, value in rows(warehouse, "nps_summary_monthly", "month, nps", "month")]
    check_rows(got, expected, what="nps_summary_monthly after two overlapping builds", columns=("month", "nps"))
    _only_final_tables(warehouse, ["nps_summary_monthly"])

"""Lab 2 · build: checks before the swap, the swap in one transaction, nothing left behind."""
from __future__ import annotations

import time
from collections import Counter

import psycopg2
import pytest

from labkit.data import nps as nps_data
from labkit.data import sessions as sessions_data
from labkit.grading.checks import check, check_equal, check_rows, fail
from tests.lab2.helpers import (
    GATE,
    SCHEMA,
    Background,
    Gate,
    behind_the_gate,
    build,
    course_config,
    expect_failure,
    first_line,
    leftovers,
    nothing_left_behind,
    rows,
    tables,
    terminate,
)

MONTHLY = "nps_summary_monthly"
MONTHLY_COLUMNS = ("month", "responses", "nps")
NEW_ANSWERS = 5000
KIND_HINT = ("run_checks runs every check of the list, whatever its kind: check_query gives the SQL of unique, not_null, "
             "range and fresh checks as well as sql ones, and expected() the bounds their value must meet")
ONE_TRANSACTION = "commit once, at the very end: checks, CTAS, the renames, the DROP and after_sql in the build's one transaction"


def _build(lab, warehouse, tmp_path, config, run_id="manual__1"):
    return build(lab, warehouse, config, tmp_path / run_id, run_id)


def _must_build(lab, warehouse, tmp_path, config, what, run_id="manual__1"):
    """A build that must succeed: if it fails, the test says which build and why."""
    try:
        return _build(lab, warehouse, tmp_path, config, run_id)
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"building {what} failed: {first_line(err)}")


def _build_course(lab, warehouse, tmp_path, name=MONTHLY, run_id="manual__1"):
    return _must_build(lab, warehouse, tmp_path, course_config(name), f"{name} from its course config (its data meets every check)",
                       run_id)


def _monthly(warehouse) -> list[tuple]:
    return rows(warehouse, MONTHLY, "month, responses, nps", "month")


def _december_responses(table_rows) -> int | None:
    return next((responses for month, responses, _ in table_rows if month.month == 12), None)


def _new_december_answers(warehouse) -> None:
    """5,000 more promoters in December: any rebuild from now on changes the table."""
    warehouse.execute(f"INSERT INTO public.nps SELECT 10000000 + g, '2019-12-31 12:00', 10 FROM generate_series(1, {NEW_ANSWERS}) g")


def _kept(warehouse, before, after: str, rebuilt: str, hint: str) -> None:
    """After a failed rebuild nps_summary_monthly must still hold `before`. What it holds
    instead is the evidence: nothing (the old table's rename or drop was committed), or the
    rebuilt rows (December counts the new answers: the new table was committed)."""
    if not warehouse.table_exists(MONTHLY, SCHEMA):
        fail(f"{MONTHLY} is GONE {after}: the previous table was renamed or dropped in a transaction that committed "
             "before the failure", ONE_TRANSACTION)
    now = _monthly(warehouse)
    if now == before:
        return
    if _december_responses(now) == (_december_responses(before) or 0) + NEW_ANSWERS:
        fail(f"{after}, {MONTHLY} holds the rebuilt rows (December counts the {NEW_ANSWERS:,} new answers): {rebuilt}", hint)
    check_rows(now, before, what=f"{MONTHLY} {after}", columns=MONTHLY_COLUMNS)


def _rebuild_must_fail(lab, warehouse, tmp_path, bad_config, succeeded: str, succeeded_hint: str | None = None):
    """Build the monthly summary, then a rebuild that must fail (with new answers in the source,
    so a rebuild that went through would differ). Returns (rows before, the rebuild's error)."""
    _build_course(lab, warehouse, tmp_path)
    before = _monthly(warehouse)
    _new_december_answers(warehouse)
    err = expect_failure(lambda: _build(lab, warehouse, tmp_path, bad_config, "manual__2"), succeeded, succeeded_hint)
    return before, err


def _at_the_gate(gate: Gate, running: Background, step: str, what: str = "the rebuild", count: int = 1) -> list[int]:
    """Wait until `running` waits at the gate (in `step`, which reads it), `count` backends in
    all; say why if it never does."""
    pids = gate.wait_for(running, count=count)
    if pids:
        return pids
    running.raise_if_not_written()
    if running.error is not None:
        fail(f"{what} failed before its {step} ran: {first_line(running.error)}")
    if running.done:
        fail(f"{what} finished without running its {step} (which reads {GATE})",
             f"run config.{step} in the build" if step in ("pre_sql", "after_sql") else None)
    fail(f"{what} had not reached its {step} after 15 s")
    raise AssertionError("unreachable")


# -- what the summaries hold -------------------------------------------------------------------
@pytest.mark.points(2)
def test_monthly_nps_matches_an_independent_computation(lab, warehouse, tmp_path, source_rows):
    """nps_summary_monthly holds each month's NPS, equal to an independent computation"""
    _build_course(lab, warehouse, tmp_path)
    expected = sorted(nps_data.monthly_nps(source_rows["nps"]).items())
    got = [(month.month, float(value)) for month, value in rows(warehouse, MONTHLY, "month, nps", "month")]
    check_rows(got, expected, what="nps_summary_monthly (month, nps)", columns=("month", "nps"))


@pytest.mark.points(1)
def test_daily_nps_matches_an_independent_computation(lab, warehouse, tmp_path, source_rows):
    """nps_summary_daily holds 365 days, each equal to an independent computation"""
    _build_course(lab, warehouse, tmp_path, "nps_summary_daily")
    expected = sorted(nps_data.daily_nps(source_rows["nps"]).items())
    got = [(day, float(value)) for day, value in rows(warehouse, "nps_summary_daily", "day, nps", "day")]
    check_rows(got, expected, what="nps_summary_daily (day, nps)", columns=("day", "nps"))


@pytest.mark.points(2)
def test_mau_and_channel_summaries_match(lab, warehouse, tmp_path, source_rows):
    """mau_summary and channel_summary equal independent computations"""
    usc, ts = source_rows["sessions"]
    _build_course(lab, warehouse, tmp_path, "mau_summary")
    _build_course(lab, warehouse, tmp_path, "channel_summary")
    check_rows(rows(warehouse, "mau_summary", "month, mau", "month"), sorted(sessions_data.monthly_active_users(usc, ts).items()),
               what="mau_summary", columns=("month", "mau"))
    expected = sorted((user, first, last) for user, (first, last) in sessions_data.first_last_channel(usc, ts).items())
    check_rows(rows(warehouse, "channel_summary", "userid, first_channel, last_channel", "userid"), expected,
               what="channel_summary", columns=("userid", "first_channel", "last_channel"))


@pytest.mark.points(1)
def test_build_summary_returns_the_row_count(lab, warehouse, tmp_path):
    """build_summary returns the new table's row count (the DAG task's return value)"""
    returned = _build_course(lab, warehouse, tmp_path, "mau_summary")
    (count,) = warehouse.query("SELECT COUNT(*) FROM analytics.mau_summary")[0]
    check_equal(returned, count, "build_summary(…)'s return value (the rows of the new mau_summary)",
                "end the build with SELECT COUNT(*) FROM the summary, in the transaction, and return it")


# -- checks --------------------------------------------------------------------------------------
def _show(check_: dict) -> str:
    return check_["sql"] + " with " + ", ".join(f"{k} {v}" for k, v in check_.items() if k != "sql")


@pytest.mark.points(1)
def test_check_bounds_are_inclusive(lab, warehouse):
    """A check's min, max and equals are inclusive: a value on the bound passes, one beyond it fails"""
    (low, high, over) = warehouse.query("SELECT MIN(score), MAX(score), COUNT(*) FILTER (WHERE score > 10) FROM public.nps")[0]
    low_sql, high_sql, over_sql = ("SELECT MIN(score) FROM public.nps", "SELECT MAX(score) FROM public.nps",
                                   "SELECT COUNT(*) FROM public.nps WHERE score > 10")
    holds = [({"sql": low_sql, "min": low}, low), ({"sql": high_sql, "max": high}, high), ({"sql": over_sql, "equals": over}, over),
             ({"sql": high_sql, "min": high, "max": high}, high)]
    breaks = [({"sql": low_sql, "min": low + 1}, low), ({"sql": high_sql, "max": high - 1}, high),
              ({"sql": over_sql, "equals": over + 1}, over)]
    conn = warehouse.connect()
    try:
        for check_, value in holds:
            with conn.cursor() as cur:
                try:
                    lab.run_checks(cur, [check_], stage="input check")
                except NotImplementedError:
                    raise
                except lab.CheckFailed as err:
                    fail(f"the check {_show(check_)} failed on the value {value}, which meets it: {err}",
                         "bounds are inclusive: a value passes when value >= min, value <= max and value == equals")
                except Exception as err:
                    fail(f"run_checks crashed on the check {_show(check_)}: {first_line(err)}")
                finally:
                    conn.rollback()
        for check_, value in breaks:
            with conn.cursor() as cur:
                err = expect_failure(lambda: lab.run_checks(cur, [check_], stage="input check"),
                                     f"the check {_show(check_)} passed on the value {value}",
                                     "compare the value with every bound expected() gives (min, max, equals) and raise "
                                     "CheckFailed when one does not hold")
                conn.rollback()
                check(isinstance(err, lab.CheckFailed), f"the check {_show(check_)} raised {first_line(err)}; expected CheckFailed")
    finally:
        conn.close()


@pytest.mark.points(2)
def test_a_failed_input_check_keeps_the_old_table(lab, warehouse, tmp_path):
    """A failed input check fails the build, keeps the previous table and leaves no temp table"""
    bad = course_config(MONTHLY, input_check=[{"sql": "SELECT COUNT(*) FROM public.nps", "min": 10**9}])
    before, err = _rebuild_must_fail(lab, warehouse, tmp_path, bad,
                                     "a rebuild whose input check cannot hold (COUNT(*) of nps with min 1000000000) succeeded",
                                     "run_checks(cur, config.input_check, …) first: a check that does not hold raises CheckFailed")
    _kept(warehouse, before, "after a rebuild that failed its input check",
          "the new table was swapped in although an input check failed",
          "run the input checks first, in the build's transaction: their CheckFailed must stop the build before any swap")
    nothing_left_behind(warehouse, [MONTHLY], "after a rebuild that failed its input check")
    check(isinstance(err, lab.CheckFailed), f"the rebuild failed, but not with CheckFailed from its input check: {first_line(err)}")


@pytest.mark.points(2)
def test_a_failed_output_check_keeps_the_old_table(lab, warehouse, tmp_path):
    """A failed output check fails the build, keeps the previous table and leaves no temp table"""
    bad = course_config(MONTHLY, output_check=[{"sql": "SELECT COUNT(*) FROM {table}", "equals": 13}])
    before, err = _rebuild_must_fail(lab, warehouse, tmp_path, bad,
                                     "a rebuild whose output check cannot hold (12 rows, equals 13) succeeded",
                                     "run_checks(cur, config.output_check, table=<the temporary table>, …) before the swap")
    _kept(warehouse, before, "after a rebuild that failed its output check",
          "the new table was swapped in before its output checks ran (or although they failed)",
          "run the output checks on the temporary table ({table} in a check), and swap only once they pass")
    nothing_left_behind(warehouse, [MONTHLY], "after a rebuild that failed its output check")
    check(isinstance(err, lab.CheckFailed), f"the rebuild failed, but not with CheckFailed from its output check: {first_line(err)}")
    check("13" in str(err) and "12" in str(err) and "COUNT" in str(err).upper(),
          f"the failure should say which check failed (SELECT COUNT(*) …), what it found (12) and what was expected (13); "
          f"it says: {err}")


@pytest.mark.points(1)
def test_a_broken_main_sql_keeps_the_old_table(lab, warehouse, tmp_path):
    """A main_sql that does not run fails the build and keeps the previous table"""
    bad = course_config(MONTHLY, main_sql="SELECT no_such_column FROM public.nps")
    before, _ = _rebuild_must_fail(lab, warehouse, tmp_path, bad, "a rebuild whose main_sql names a column that does not exist succeeded")
    _kept(warehouse, before, "after a rebuild whose main_sql failed", "", ONE_TRANSACTION)
    nothing_left_behind(warehouse, [MONTHLY], "after a rebuild whose main_sql failed")


@pytest.mark.points(1)
def test_the_uniqueness_check_catches_a_duplicated_key(lab, warehouse, tmp_path):
    """A unique check fails when the summary repeats a key, and says which check"""
    sql = "SELECT date_trunc('month', created_at)::date AS month, 1 AS nps FROM public.nps GROUP BY 1 UNION ALL SELECT DATE '2019-01-01', 2"
    config = course_config(MONTHLY, main_sql=sql, output_check=[{"unique": "month"}])
    err = expect_failure(lambda: _build(lab, warehouse, tmp_path, config),
                         "a summary listing month 2019-01-01 twice was built although its config says `unique: month`", KIND_HINT)
    check(isinstance(err, lab.CheckFailed), f"the build failed, but not because its unique check failed: {first_line(err)}")
    check("month" in str(err), f"the unique check failed as it should, but its error does not say which check (unique month): {err}",
          "raise CheckFailed with the description check_query gives, the value found and the bound expected")
    check(MONTHLY not in tables(warehouse), f"{MONTHLY} exists although its only build failed its unique check: it was swapped "
          "in before (or despite) the check")


@pytest.mark.points(1)
def test_not_null_range_and_fresh_checks_catch_bad_values(lab, warehouse, tmp_path):
    """not_null, range and fresh checks fail on a NULL, an out-of-range value and data older than `since`"""
    base = "SELECT date_trunc('month', created_at)::date AS month, {value} AS nps FROM public.nps GROUP BY 1"
    cases = [
        ("NULL::numeric", {"not_null": "nps"}, "a NULL nps", "not_null: nps"),
        ("150", {"range": {"column": "nps", "min": -100, "max": 100}}, "an nps of 150", "range: nps within [-100, 100]"),
        ("0", {"fresh": {"column": "month", "since": "2020-01-01"}}, "no month since 2020-01-01", "fresh: month since 2020-01-01"),
    ]
    for value, check_, data, rule in cases:
        config = course_config(MONTHLY, main_sql=base.format(value=value), output_check=[check_])
        err = expect_failure(lambda: _build(lab, warehouse, tmp_path, config),
                             f"a summary with {data} was built although its config says `{rule}`", KIND_HINT)
        check(isinstance(err, lab.CheckFailed), f"the build of a summary with {data} failed, but not because its `{rule}` check "
              f"failed: {first_line(err)}")
    check(MONTHLY not in tables(warehouse), f"{MONTHLY} exists although every build of it failed its checks: it was swapped in "
          "before (or despite) the checks")
    nothing_left_behind(warehouse, [], "after builds that failed their checks")


# -- the swap, pre_sql and after_sql: one transaction -------------------------------------------
def _oid(warehouse) -> int | None:
    return warehouse.query("SELECT to_regclass(%s)::oid", (f"{SCHEMA}.{MONTHLY}",))[0][0]


@pytest.mark.points(2)
def test_a_failed_swap_keeps_the_old_table(lab, warehouse, tmp_path):
    """A swap that fails (a view depends on the table) keeps the old table and the view"""
    view = "nps_2019_h1"
    _build_course(lab, warehouse, tmp_path)
    warehouse.execute(f"CREATE VIEW analytics.{view} AS SELECT * FROM analytics.nps_summary_monthly WHERE month < '2019-07-01'")
    before, table_before = _monthly(warehouse), _oid(warehouse)
    _new_december_answers(warehouse)
    try:
        _build(lab, warehouse, tmp_path, course_config(MONTHLY), "manual__2")
    except NotImplementedError:
        raise
    except Exception as err:
        error = err
    else:
        if not warehouse.table_exists(view, SCHEMA):
            fail(f"the rebuild succeeded by dropping the view analytics.{view} along with the previous table (DROP … CASCADE?)",
                 "never DROP … CASCADE: a view on the summary must make the swap fail, not vanish")
        if _oid(warehouse) == table_before:
            fail(f"the rebuild succeeded although a view depends on {MONTHLY}: the table was rewritten in place (the same "
                 "table, no swap)", "build the new table under temp_name(...) with CREATE TABLE … AS, then swap: rename the "
                 "old table aside, rename temp to the name, DROP the old one (the DROP refuses a view)")
        left = leftovers(warehouse, [MONTHLY, view])
        if left:
            fail(f"the rebuild succeeded although a view depends on {MONTHLY}, and left the previous table behind as "
                 f"{', '.join(left)} (the view now reads it)", "after the renames, DROP the previous table (no CASCADE): that "
                 "DROP is what refuses a view")
        fail(f"the rebuild succeeded although a view depends on {MONTHLY}; the swap should have failed")
    _kept(warehouse, before, "after a swap that failed (a view depends on the table)",
          "the renames were committed before the DROP of the old table failed",
          "rename old → aside, temp → table, drop old: all in one transaction")
    check(warehouse.table_exists(view, SCHEMA), f"the view analytics.{view} is gone after the failed swap (DROP … CASCADE?)",
          "never DROP … CASCADE: a view on the summary must make the swap fail, not vanish")
    nothing_left_behind(warehouse, [MONTHLY, view], "after a failed swap")
    check(view in str(error) or "depend" in str(error), f"the error should say a view depends on the table; it says: {error}")


@pytest.mark.points(1)
def test_pre_sql_runs_first_in_the_builds_transaction(lab, warehouse, tmp_path, source_rows):
    """pre_sql runs before main_sql, in the build's transaction: a failed build leaves nothing of it"""
    helper = "public.labkit_promoters"
    config = {
        "table": "promoters_monthly", "schema": SCHEMA,
        "pre_sql": f"CREATE TABLE {helper} AS SELECT created_at FROM public.nps WHERE score >= 9",
        "main_sql": f"SELECT date_trunc('month', created_at)::date AS month, COUNT(*) AS promoters FROM {helper} GROUP BY 1",
        "input_check": [], "output_check": [{"sql": "SELECT COUNT(*) FROM {table}", "equals": 13}],
    }
    expect_failure(lambda: _build(lab, warehouse, tmp_path, config),
                   "a build whose output check cannot hold (12 rows, equals 13) succeeded")
    check(not warehouse.table_exists("labkit_promoters"),
          f"{helper}, which the config's pre_sql creates, is still there after the build failed: pre_sql was committed "
          "before the build failed", "run pre_sql in the build's one transaction: commit nothing before the swap")
    nothing_left_behind(warehouse, [], "after a build that failed its output check")
    config["output_check"] = [{"sql": "SELECT COUNT(*) FROM {table}", "equals": 12}]
    try:
        _build(lab, warehouse, tmp_path, config, "manual__2")
    except NotImplementedError:
        raise
    except Exception as err:
        if "labkit_promoters" in str(err):
            fail(f"main_sql could not read the table pre_sql creates ({first_line(err)}): pre_sql did not run before main_sql",
                 "run config.pre_sql (when there is one) before CREATE TABLE … AS main_sql")
        fail(f"building a summary with a pre_sql failed: {first_line(err)}")
    counts = Counter(created_at.month for _, created_at, score in source_rows["nps"] if score >= 9)
    got = [(month.month, n) for month, n in rows(warehouse, "promoters_monthly", "month, promoters", "month")]
    check_rows(got, sorted(counts.items()), what="promoters_monthly (built from pre_sql's table)", columns=("month", "promoters"))


@pytest.mark.points(2)
def test_after_sql_runs_after_the_swap_in_the_builds_transaction(lab, warehouse, tmp_path):
    """after_sql runs after the swap, in the build's transaction: it sees the new table, and if it fails the swap is undone"""
    view = "nps_2019_h2"
    create_view = f"CREATE VIEW analytics.{view} AS SELECT * FROM analytics.nps_summary_monthly WHERE month >= '2019-07-01'"
    try:
        _build(lab, warehouse, tmp_path, course_config(MONTHLY, after_sql=create_view))
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"a first build whose after_sql creates a view on the summary failed: {first_line(err)}",
             "after_sql runs after the swap, when the summary has its name" if "does not exist" in str(err) else None)
    check(warehouse.table_exists(view, SCHEMA), f"no view analytics.{view} after a build whose after_sql creates it: after_sql "
          "did not run", "run config.after_sql (when there is one) after the swap, before the transaction commits")
    (months,) = warehouse.query(f"SELECT COUNT(*) FROM analytics.{view}")[0]
    check_equal(months, 6, f"rows of the view after_sql created on the new {MONTHLY} (July to December)")

    warehouse.execute(f"DROP VIEW analytics.{view}")  # a view on the summary would make the next swap fail
    before = _monthly(warehouse)
    _new_december_answers(warehouse)
    failing = course_config(MONTHLY, after_sql="GRANT SELECT ON analytics.nps_summary_monthly TO labkit_no_such_role")
    expect_failure(lambda: _build(lab, warehouse, tmp_path, failing, "manual__2"),
                   "a rebuild whose after_sql fails (GRANT … TO a role that does not exist) succeeded",
                   "run config.after_sql with the build's cursor and let its error propagate")
    _kept(warehouse, before, "after a rebuild whose after_sql failed", "the swap was committed before after_sql ran",
          "after_sql belongs to the build's one transaction: run it before the commit, so that its failure undoes the swap")
    nothing_left_behind(warehouse, [MONTHLY], "after a rebuild whose after_sql failed")


# -- what others see while a build runs, or when it is cut off ---------------------------------
@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_readers_keep_the_previous_table_while_a_build_runs(lab, warehouse, tmp_path):
    """While a rebuild runs its main_sql, readers get the previous table at once (the live table is locked only for the swap)"""
    _build_course(lab, warehouse, tmp_path)
    before = _monthly(warehouse)
    _new_december_answers(warehouse)
    slow = course_config(MONTHLY)
    slow["main_sql"] = behind_the_gate(slow["main_sql"])
    with Gate(warehouse) as gate:
        running = Background(lambda: _build(lab, warehouse, tmp_path, slow, "manual__2"))
        try:
            _at_the_gate(gate, running, "main_sql")
            reader = warehouse.connect()
            try:
                with reader.cursor() as cur:
                    cur.execute("SET lock_timeout = '2s'")
                    cur.execute("SELECT month, responses, nps FROM analytics.nps_summary_monthly ORDER BY month")
                    seen = cur.fetchall()
            except psycopg2.errors.LockNotAvailable:
                fail(f"a reader of {MONTHLY} waited more than 2 s while a rebuild was still running its main_sql: the build "
                     "locked the live table before its new table was ready (dropped, truncated or rewritten in place?)",
                     "build the new table under temp_name(...) and touch the live table only in the swap, at the end: "
                     "rename it aside, rename temp to its name, drop it")
            except psycopg2.errors.UndefinedTable:
                fail(f"{MONTHLY} did not exist for a reader while a rebuild was still running its main_sql: the previous "
                     "table was dropped or renamed, and committed, before the new one was ready", ONE_TRANSACTION)
            finally:
                reader.close()
            check_rows(seen, before, what=f"what a reader got from {MONTHLY} while a rebuild ran its main_sql",
                       columns=MONTHLY_COLUMNS, hint="readers keep the previous table until the swap commits")
        finally:
            gate.open()
            running.join(60)
    running.raise_if_not_written()
    check(running.done, "the rebuild was still running 60 s after its main_sql could go on")
    if running.error is not None:
        fail(f"the rebuild failed once its main_sql could go on: {first_line(running.error)}")
    check(_december_responses(_monthly(warehouse)) == _december_responses(before) + NEW_ANSWERS,
          f"after the rebuild, {MONTHLY} does not count December's {NEW_ANSWERS:,} new answers: the new table was not swapped in")


@pytest.mark.points(2)
@pytest.mark.timeout(90)
def test_a_build_cut_off_at_its_last_step_changes_nothing(lab, warehouse, tmp_path):
    """A rebuild cut off at its last step (its connection lost in after_sql) leaves the previous table and no temp table"""
    _build_course(lab, warehouse, tmp_path)
    before = _monthly(warehouse)
    _new_december_answers(warehouse)
    config = course_config(MONTHLY, after_sql=f"SELECT COUNT(*) FROM {GATE}")
    with Gate(warehouse) as gate:
        running = Background(lambda: _build(lab, warehouse, tmp_path, config, "manual__2"))
        try:
            pids = _at_the_gate(gate, running, "after_sql")
            terminate(warehouse, pids[0])  # as when the worker is killed or the network drops
        finally:
            gate.open()
            running.join(60)
    running.raise_if_not_written()
    _kept(warehouse, before, "after a rebuild cut off in its after_sql", "the swap had been committed before after_sql ran",
          ONE_TRANSACTION)
    nothing_left_behind(warehouse, [MONTHLY], "after a rebuild cut off in its after_sql")


@pytest.mark.points(1)
@pytest.mark.timeout(150)  # the second build may take long to reach the gate on a busy machine
def test_two_overlapping_builds_do_not_collide(lab, warehouse, tmp_path, source_rows):
    """Two builds of the same summary at once both succeed and leave one correct table"""
    _build_course(lab, warehouse, tmp_path)
    slow = course_config(MONTHLY)
    slow["main_sql"] = behind_the_gate(slow["main_sql"])
    builds = {}
    with Gate(warehouse) as gate:
        try:
            # The first waits at the gate; the second starts then, and the gate opens once it
            # waits too (at the gate, or on a lock the first holds): they overlap for sure.
            builds["scheduled__a"] = Background(lambda: _build(lab, warehouse, tmp_path, slow, "scheduled__a"), "scheduled__a")
            _at_the_gate(gate, builds["scheduled__a"], "main_sql", "the build of run scheduled__a")
            builds["scheduled__b"] = Background(lambda: _build(lab, warehouse, tmp_path, slow, "scheduled__b"), "scheduled__b")
            # Generous: if the gate opened before the second build got there, the builds would
            # not overlap and a fixed temporary name would pass on a busy machine (it did).
            deadline = time.monotonic() + 60
            while gate.lock_waits() < 2 and not builds["scheduled__b"].done and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            gate.open()
            for running in builds.values():
                running.join(60)
    for run_id, running in builds.items():
        running.raise_if_not_written()
        check(running.done, f"the build of run {run_id} was still running 60 s after both could go on")
        err = running.error
        if err is not None:
            collided = "already exists" in str(err) or "duplicate key" in str(err)
            fail(f"an overlapping build failed: {first_line(err)}",
                 "give the temporary table a name unique to the run: temp_name(config, run_id)" if collided else None)
    expected = sorted(nps_data.monthly_nps(source_rows["nps"]).items())
    got = [(month.month, float(value)) for month, value in rows(warehouse, MONTHLY, "month, nps", "month")]
    check_rows(got, expected, what="nps_summary_monthly after two overlapping builds", columns=("month", "nps"))
    nothing_left_behind(warehouse, [MONTHLY], "after two overlapping builds")


@pytest.mark.points(1)
@pytest.mark.timeout(90)
def test_two_first_builds_into_a_new_schema_do_not_wait_on_each_other(lab, warehouse, tmp_path):
    """Two summaries built at once into a schema that does not exist yet (the DAG's first run) do not wait on each other"""
    daily = course_config("nps_summary_daily")
    daily["main_sql"] = behind_the_gate(daily["main_sql"])
    with Gate(warehouse) as gate:
        first = Background(lambda: _build(lab, warehouse, tmp_path / "daily", daily), "nps_summary_daily")
        try:
            _at_the_gate(gate, first, "main_sql", "nps_summary_daily's first build")
            second = Background(lambda: _build(lab, warehouse, tmp_path / "mau", course_config("mau_summary")), "mau_summary")
            if not second.join(20):
                waiting = warehouse.query("SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database() AND query NOT ILIKE %s", (f"%{GATE}%",))
                statement = waiting[0][0].strip() if waiting else ""
                fail("mau_summary's first build was still waiting after 20 s for nps_summary_daily's, which was still running"
                     + (f" (it waits in: {statement[:100]})" if statement else ""),
                     "create the schema (CREATE SCHEMA IF NOT EXISTS) in a transaction of its own, committed before the build: "
                     "while a new schema is uncommitted, every other build into it waits, then fails on a duplicate name"
                     if "SCHEMA" in statement.upper() else None)
        finally:
            gate.open()
            first.join(60)
    second.raise_if_not_written()
    if second.error is not None:
        fail(f"mau_summary's first build, next to nps_summary_daily's, failed: {first_line(second.error)}")
    first.raise_if_not_written()
    check(first.done and first.error is None, f"nps_summary_daily's first build failed: "
          f"{first_line(first.error) if first.error else 'still running 60 s after it could go on'}")
    built = tables(warehouse)
    check("mau_summary" in built and "nps_summary_daily" in built, f"tables in analytics after both builds: {', '.join(built) or 'none'}")

"""Lab 2 · hidden tests (instructor only): what the README asks, in cases the public suite does not try."""
from __future__ import annotations

from collections import Counter

import pytest

from labkit.grading.checks import check, check_rows, fail
from tests.lab2.helpers import build, course_config, expect_failure, first_line, rows, tables, write_config

SCHEMA = "reporting"
TABLE = "responses_by_weekday"
NEW_ANSWERS = 5000  # on Tuesday 2019-12-31


def _weekday_config(**changes) -> dict:
    config = {
        "table": TABLE, "schema": SCHEMA, "description": "Survey answers per ISO weekday",
        "main_sql": "SELECT EXTRACT(ISODOW FROM created_at)::int AS weekday, COUNT(*) AS responses FROM public.nps GROUP BY 1",
        "input_check": [{"sql": "SELECT COUNT(*) FROM public.nps", "min": 1000}],
        "output_check": [{"sql": "SELECT COUNT(*) FROM {table}", "equals": 7}, {"unique": "weekday"},
                         {"range": {"column": "weekday", "min": 1, "max": 7}}],
    }
    return {**config, **changes}


def _weekdays(warehouse) -> list[tuple]:
    return rows(warehouse, TABLE, "weekday, responses", "weekday", schema=SCHEMA)


@pytest.mark.points(2)
def test_a_summary_in_another_schema_is_built_and_rebuilt_there(lab, warehouse, tmp_path, source_rows):
    """A summary of another schema and table (reporting.responses_by_weekday) is built, rebuilt and kept there, and only there"""
    def attempt(config, run_id):
        return build(lab, warehouse, config, tmp_path / run_id, run_id)

    try:
        attempt(_weekday_config(), "manual__1")
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"building {SCHEMA}.{TABLE} (a new schema, a new table) failed: {first_line(err)}",
             f"the config's schema is {SCHEMA}: use config.schema everywhere, never the course's analytics"
             if "analytics" in str(err) else None)
    elsewhere = tables(warehouse, "analytics") + [t for t in tables(warehouse, "public") if t != "nps" and "session" not in t]
    check(
        TABLE in tables(warehouse, SCHEMA),
        f"no table {SCHEMA}.{TABLE} after building it; other tables: {', '.join(elsewhere) or 'none'}",
        "use config.schema and config.table everywhere (the temporary table, the renames, the DROP), never the course's names"
        if elsewhere else None,
    )
    check(not tables(warehouse, "analytics"), f"building {SCHEMA}.{TABLE} left tables in schema analytics: "
          f"{', '.join(tables(warehouse, 'analytics'))}", "use config.schema everywhere, never the course's analytics")
    counts = Counter(created_at.isoweekday() for _, created_at, _ in source_rows["nps"])
    check_rows(_weekdays(warehouse), sorted(counts.items()), what=f"{SCHEMA}.{TABLE}", columns=("weekday", "responses"))

    warehouse.execute(f"INSERT INTO public.nps SELECT 20000000 + g, '2019-12-31 09:00', 7 FROM generate_series(1, {NEW_ANSWERS}) g")
    try:
        attempt(_weekday_config(), "manual__2")
    except Exception as err:
        fail(f"rebuilding {SCHEMA}.{TABLE} failed: {first_line(err)}")
    counts[2] += NEW_ANSWERS
    rebuilt = _weekdays(warehouse)
    check_rows(rebuilt, sorted(counts.items()), what=f"{SCHEMA}.{TABLE} after a rebuild with {NEW_ANSWERS:,} new Tuesday answers",
               columns=("weekday", "responses"))

    warehouse.execute(f"INSERT INTO public.nps SELECT 30000000 + g, '2019-12-30 09:00', 7 FROM generate_series(1, {NEW_ANSWERS}) g")
    bad = _weekday_config(output_check=[{"sql": "SELECT COUNT(*) FROM {table}", "equals": 8}])
    expect_failure(lambda: attempt(bad, "manual__3"), f"a rebuild of {SCHEMA}.{TABLE} whose output check cannot hold (7 rows, "
                   "equals 8) succeeded")
    check_rows(_weekdays(warehouse), rebuilt, what=f"{SCHEMA}.{TABLE} after a rebuild that failed its output check",
               columns=("weekday", "responses"), hint="run the output checks on the temporary table, before the swap")
    left = [t for t in tables(warehouse, SCHEMA) if t != TABLE]
    check(not left, f"left behind in schema {SCHEMA} after a failed rebuild: {', '.join(left)}",
          "the temporary table lives in config.schema and in the build's one transaction: a failure rolls it back")


@pytest.mark.points(1)
def test_a_rebuild_with_new_columns_replaces_the_table_whole(lab, warehouse, tmp_path, source_rows):
    """A rebuild whose main_sql adds a column replaces the table, its columns included"""
    monthly = course_config("nps_summary_monthly")
    try:
        build(lab, warehouse, monthly, tmp_path / "first", "manual__1")
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"building nps_summary_monthly from its course config failed: {first_line(err)}")
    wider = dict(monthly)
    wider["main_sql"] = monthly["main_sql"].replace(
        "COUNT(*) AS responses,", "COUNT(*) AS responses, COUNT(*) FILTER (WHERE score >= 9) AS promoters,")
    assert wider["main_sql"] != monthly["main_sql"], "the test's main_sql should add a column"
    try:
        build(lab, warehouse, wider, tmp_path / "second", "manual__2")
    except Exception as err:
        fail(f"a rebuild whose main_sql adds a column (promoters) failed: {first_line(err)}",
             "the new table is whatever main_sql gives (CREATE TABLE <temp> AS main_sql), swapped in whole: never INSERT "
             "into the old table")
    columns = [name for (name,) in warehouse.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics' "
        "AND table_name = 'nps_summary_monthly' ORDER BY ordinal_position")]
    check("promoters" in columns, f"after a rebuild whose main_sql adds the column promoters, nps_summary_monthly has columns "
          f"{', '.join(columns)}", "the new table is whatever main_sql gives (CREATE TABLE <temp> AS main_sql), swapped in "
          "whole: the old table's columns must not survive")
    counts = Counter(created_at.month for _, created_at, score in source_rows["nps"] if score >= 9)
    got = [(month.month, n) for month, n in rows(warehouse, "nps_summary_monthly", "month, promoters", "month")]
    check_rows(got, sorted(counts.items()), what="nps_summary_monthly (month, promoters) after the rebuild",
               columns=("month", "promoters"))


@pytest.mark.points(1)
def test_a_check_that_finds_no_value_fails_as_a_check(lab, warehouse, tmp_path):
    """A check whose query finds NULL, or no row, fails the build with CheckFailed and keeps the previous table"""
    monthly = course_config("nps_summary_monthly")
    try:
        build(lab, warehouse, monthly, tmp_path / "first", "manual__1")
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"building nps_summary_monthly from its course config failed: {first_line(err)}")
    before = rows(warehouse, "nps_summary_monthly", "month, responses, nps", "month")
    cases = [
        ("NULL", dict(input_check=[{"sql": "SELECT MAX(score) FROM public.nps WHERE created_at >= '2030-01-01'", "min": 0}])),
        ("no row", dict(output_check=[{"sql": "SELECT nps FROM {table} WHERE month = '2030-01-01'", "max": 100}])),
    ]
    hint = "a NULL (or no row) meets no bound: treat it as a failed check and raise CheckFailed"
    for number, (found, changes) in enumerate(cases, 2):
        config = course_config("nps_summary_monthly", **changes)
        err = expect_failure(lambda: build(lab, warehouse, config, tmp_path / f"run{number}", f"manual__{number}"),
                             f"a rebuild whose check finds {found} succeeded: the check passed", hint)
        check(isinstance(err, lab.CheckFailed), f"a check whose query finds {found} made the build crash with {first_line(err)} "
              "instead of failing as a check", hint)
        check(rows(warehouse, "nps_summary_monthly", "month, responses, nps", "month") == before,
              f"nps_summary_monthly changed after a rebuild whose check found {found}")


@pytest.mark.points(1)
def test_broken_yaml_and_several_missing_fields_are_named(lab, tmp_path):
    """A config that is not valid YAML, or lacks several fields, is refused naming the file and every missing field"""
    broken = write_config(tmp_path, "table: nps_weekly\nmain_sql: [SELECT 1\n", "broken.yaml")
    err = expect_failure(lambda: lab.load_config(broken), "a config that is not valid YAML loaded without an error")
    check(isinstance(err, ValueError) and "broken.yaml" in str(err),
          f"a config that is not valid YAML should raise ConfigError naming the file (broken.yaml); got {first_line(err)}",
          "catch yaml.YAMLError around yaml.safe_load and raise ConfigError naming the file")
    short = write_config(tmp_path, course_config("mau_summary", main_sql=None, input_check=None), "short.yaml")
    err = expect_failure(lambda: lab.load_config(short), "a config without main_sql and input_check loaded without an error")
    named = [field for field in ("main_sql", "input_check") if field in str(err)]
    check(isinstance(err, ValueError) and "short.yaml" in str(err) and len(named) == 2,
          f"a config without main_sql and input_check should be refused with a ConfigError naming the file and both "
          f"fields; got {first_line(err)}", "name every missing field at once: sorted(REQUIRED - set(raw))")

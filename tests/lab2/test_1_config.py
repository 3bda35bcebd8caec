"""Lab 2 · configs: read safely, validated with errors that name the file and the field."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal
from tests.lab2.helpers import CONFIGS, course_config, expect_failure, write_config


@pytest.mark.points(1)
def test_the_course_configs_load(lab):
    """The four course configs load: tables, schema and dependencies as written"""
    loaded = {path.stem: lab.load_config(path) for path in sorted(CONFIGS.glob("*.yaml"))}
    check_equal(sorted(c.table for c in loaded.values()), ["channel_summary", "mau_summary", "nps_summary_daily", "nps_summary_monthly"], "tables")
    check_equal(loaded["nps_summary_monthly"].depends_on, ["nps_summary_daily"], "nps_summary_monthly depends_on")
    check_equal(loaded["mau_summary"].schema, "analytics", "mau_summary schema")


@pytest.mark.points(1)
def test_an_unknown_field_is_refused_by_name(lab, tmp_path):
    """A misspelt field (tabel) is refused with an error naming the file and the field"""
    path = write_config(tmp_path, {**course_config("mau_summary"), "tabel": "oops"}, "typo.yaml")
    err = expect_failure(lab.load_config, path)
    check("typo.yaml" in str(err) and "tabel" in str(err), f"the error should name the file and the field; it says: {err}",
          "list unknown fields: set(raw) - REQUIRED - OPTIONAL")


@pytest.mark.points(1)
def test_a_missing_field_is_refused_by_name(lab, tmp_path):
    """A config without output_check is refused with an error naming the missing field"""
    path = write_config(tmp_path, course_config("mau_summary", output_check=None), "short.yaml")
    err = expect_failure(lab.load_config, path)
    check("output_check" in str(err), f"the error should name the missing field; it says: {err}")


@pytest.mark.points(1)
def test_sql_in_a_name_is_refused_before_any_sql_runs(lab, warehouse, tmp_path):
    """A table or schema name carrying SQL ("x; DROP TABLE nps") is refused before any SQL runs"""
    for field in ("table", "schema"):
        path = write_config(tmp_path, course_config("mau_summary", **{field: "x; DROP TABLE nps"}), f"evil_{field}.yaml")
        err = expect_failure(lab.load_config, path)
        check(isinstance(err, ValueError), f"{field} with SQL in it raised {type(err).__name__}: {err}; expected a validation error")
    check(warehouse.table_exists("nps"), "table nps is gone")


@pytest.mark.points(1)
def test_a_config_cannot_run_code(lab, tmp_path):
    """A config carrying a Python tag is refused and runs nothing (yaml.safe_load, never eval)"""
    marker = tmp_path / "pwned"
    path = write_config(tmp_path, f"table: !!python/object/apply:os.system ['touch {marker}']\n", "evil.yaml")
    err = expect_failure(lab.load_config, path)
    check(not marker.exists(), "loading the config ran a shell command", "read configs with yaml.safe_load: yaml.load and eval run code")
    check(isinstance(err, ValueError), f"expected a validation error naming the file, got {type(err).__name__}: {err}")

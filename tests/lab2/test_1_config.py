"""Lab 2 · configs: read safely, validated with errors that name the file and the field."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal
from tests.lab2.helpers import CONFIGS, course_config, expect_failure, first_line, write_config

UNKNOWN_HINT = "refuse unknown fields: set(raw) - REQUIRED - OPTIONAL, and raise ConfigError naming them and the file"
MISSING_HINT = ("look for missing fields (REQUIRED - set(raw)) before reading any field, and raise ConfigError naming "
                "them and the file")


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
    err = expect_failure(lambda: lab.load_config(path), "a config with the misspelt field 'tabel' loaded without an error",
                         UNKNOWN_HINT)
    check(isinstance(err, ValueError), f"a config with the misspelt field 'tabel' made load_config crash ({first_line(err)}) "
          "instead of refusing it with ConfigError", UNKNOWN_HINT)
    check("typo.yaml" in str(err) and "tabel" in str(err),
          f"the error should name the file (typo.yaml) and the field (tabel); it says: {err}")


@pytest.mark.points(1)
def test_a_missing_field_is_refused_by_name(lab, tmp_path):
    """A config without output_check is refused with an error naming the file and the missing field"""
    path = write_config(tmp_path, course_config("mau_summary", output_check=None), "short.yaml")
    err = expect_failure(lambda: lab.load_config(path), "a config without output_check loaded without an error", MISSING_HINT)
    check(isinstance(err, ValueError), f"a config without output_check made load_config crash ({first_line(err)}) "
          "instead of refusing it with ConfigError", MISSING_HINT)
    check("short.yaml" in str(err) and "output_check" in str(err),
          f"the error should name the file (short.yaml) and the missing field (output_check); it says: {err}")


@pytest.mark.points(1)
def test_sql_in_a_name_is_refused_before_any_sql_runs(lab, warehouse, tmp_path):
    """A table or schema name carrying SQL ("x; DROP TABLE nps") is refused before any SQL runs"""
    for field in ("table", "schema"):
        path = write_config(tmp_path, course_config("mau_summary", **{field: "x; DROP TABLE nps"}), f"evil_{field}.yaml")
        err = expect_failure(lambda: lab.load_config(path), f"a config whose {field} is 'x; DROP TABLE nps' loaded without an error",
                             "validate_config checks table and schema with check_name: keep that part as given")
        check(isinstance(err, ValueError), f"{field} with SQL in it raised {first_line(err)}; expected a validation error")
    check(warehouse.table_exists("nps"), "table nps is gone")


@pytest.mark.points(1)
def test_a_config_cannot_run_code(lab, tmp_path):
    """A config carrying a Python tag is refused, naming the file, and runs nothing (yaml.safe_load, never eval)"""
    marker = tmp_path / "pwned"
    path = write_config(tmp_path, f"table: !!python/object/apply:os.system ['touch {marker}']\n", "evil.yaml")
    err = None
    try:
        lab.load_config(path)
    except NotImplementedError:
        raise
    except Exception as error:
        err = error
    check(not marker.exists(), "loading the config ran a shell command", "read configs with yaml.safe_load: yaml.load and eval run code")
    check(err is not None, "a config carrying a Python tag loaded without an error",
          "yaml.safe_load refuses Python tags with a yaml.YAMLError: turn it into ConfigError naming the file")
    check(isinstance(err, ValueError) and "evil.yaml" in str(err),
          f"expected a ConfigError naming the file (evil.yaml), got {first_line(err)}",
          "catch yaml.YAMLError and raise ConfigError naming the file")

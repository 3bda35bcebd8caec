"""Lab 2 · configs: read safely, validated with errors that name the file and the field."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labkit.grading.checks import check, check_equal, fail, finishes_within
from labkit.grading.dagcheck import import_failure
from labkit.grading.fixtures import dags_in_file
from tests.lab2.helpers import CONFIGS, build, course_config, expect_failure, first_line, rows, write_config

DAG_ID = "lab2_nps_summary"
CAP = 64 * 1024  # the README's limit (MAX_CONFIG_BYTES)

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
    check_equal(loaded["mau_summary"].description, "Monthly active users, May to November 2019", "mau_summary description")


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


# -- hostile and mistaken files: refused at once, by name ------------------------------------------
ALIAS_HINT = ("parse with parse_yaml(text, file name), not yaml.safe_load: it refuses anchors and aliases (&name / *name), "
              "and load_config turns its yaml.YAMLError into a ConfigError naming the file")
SIZE_HINT = ("read at most MAX_CONFIG_BYTES + 1 bytes (file.read(MAX_CONFIG_BYTES + 1)) and refuse the file when you got more "
             "than MAX_CONFIG_BYTES, with a ConfigError naming it, before parsing anything")
READ_HINT = ("turn every error of reading the file into a ConfigError naming it: OSError (it cannot be opened) and "
             "UnicodeDecodeError (it is not UTF-8) as well as yaml.YAMLError")
TYPE_HINT = ("check each field's type in validate_config and raise ConfigError naming the file and the field: main_sql is text, "
             "description, pre_sql and after_sql text or left out, input_check and output_check lists of checks")
CHECK_HINT = "pass every check of input_check and output_check through check_check (input checks with before_table=True)"
DEPENDS_HINT = ("depends_on must be a list: refuse anything else with a ConfigError naming depends_on (a string is iterable "
                "too, and 'abc' would depend on a, b and c)")
BROKEN_HINT = ("load_config must raise ConfigError naming the file for any file it cannot use, and discover must keep going: "
               "catch the error per file, log it and keep the file apart (its own failing task) instead of raising")
LAUGH_LEVELS = 6  # 9**6 strings: the real file has 10 levels (3.5 billion); this one cannot hurt a grader without the guard


def _laughs(levels: int) -> str:
    """A "billion laughs" value: each level an anchored list of nine aliases to the level before."""
    rows_ = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    rows_ += [f"&l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "[" + ", ".join(rows_) + "]"


def _refused(lab, path: Path, case: str, hint: str, *words: str) -> str:
    """load_config(path) must raise a ConfigError whose message names the file and each of `words`."""
    err = expect_failure(lambda: lab.load_config(path), f"{case} loaded without an error", hint)
    check(isinstance(err, ValueError), f"{case} made load_config crash ({first_line(err)}) instead of refusing it with "
          "ConfigError", hint)
    missing = [w for w in (path.name, *words) if w.lower() not in str(err).lower()]
    check(not missing, f"{case} was refused, but the error should name {' and '.join(missing)}; it says: {err}", hint)
    return str(err)


@pytest.mark.points(1)
def test_yaml_aliases_are_refused(lab, tmp_path):
    """A config using YAML aliases (&/*) is refused, naming the file: a "billion laughs" at once, and a harmless alias too"""
    base = yaml.safe_dump(course_config("mau_summary", description=None), sort_keys=False)
    bomb = write_config(tmp_path, base + f"description: {_laughs(LAUGH_LEVELS)}\n", "laughs.yaml")
    # In a thread, with a deadline: a loader without the guard that walks the value in Python
    # fails this test instead of stalling the grading run.
    outcome = finishes_within(15, lambda: lab.load_config(bomb), f"load_config on a {bomb.stat().st_size}-byte file of aliases "
                              "to aliases", ALIAS_HINT)
    if isinstance(outcome.error, NotImplementedError):
        raise outcome.error
    check(outcome.error is not None, "a config whose description is aliases to aliases (a small \"billion laughs\": "
          f"{len(_laughs(LAUGH_LEVELS))} bytes that stand for {9 ** LAUGH_LEVELS:,} strings) loaded without an error", ALIAS_HINT)
    err = outcome.error
    check(isinstance(err, ValueError) and "laughs.yaml" in str(err) and "alias" in str(err).lower(),
          f"a \"billion laughs\" config should be refused with a ConfigError naming the file (laughs.yaml) and saying that "
          f"aliases are not allowed; got {first_line(err)}", ALIAS_HINT)
    reuse = yaml.safe_dump(course_config("nps_summary_monthly", input_check=None, output_check=None), sort_keys=False)
    reuse += ("input_check:\n  - &rows {sql: SELECT COUNT(*) FROM public.nps, min: 150000}\n"
              "output_check:\n  - *rows\n")
    _refused(lab, write_config(tmp_path, reuse, "reuse.yaml"), "a config that reuses a check with an alias (&rows … *rows)",
             ALIAS_HINT, "alias")


@pytest.mark.points(1)
def test_an_unreadable_config_is_refused_by_name(lab, tmp_path):
    """A config that cannot be read (a folder named like one, a file that is not UTF-8) is refused with an error naming it"""
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    _refused(lab, folder, "a folder named folder.yaml", READ_HINT)
    latin = write_config(tmp_path, "", "latin1.yaml")
    latin.write_bytes(yaml.safe_dump(course_config("mau_summary", description="Utilisateurs actifs (été)"),
                                     allow_unicode=True).encode("latin-1"))
    _refused(lab, latin, "a config saved as Latin-1, not UTF-8", READ_HINT)


def _padded(folder: Path, name: str, size: int) -> Path:
    """The mau_summary config, padded with comment lines to exactly `size` bytes."""
    text = yaml.safe_dump(course_config("mau_summary"), sort_keys=False)
    left = size - len(text.encode())
    while left > 0:
        line = min(100, left)
        text += "#" * (line - 1) + "\n"
        left -= line
    path = write_config(folder, text, name)
    assert path.stat().st_size == size
    return path


@pytest.mark.points(1)
def test_a_config_over_64_kb_is_refused(lab, tmp_path):
    """A config over 64 KB is refused with an error naming the file and its size; a config of exactly 64 KB loads"""
    path = _padded(tmp_path, "padded.yaml", CAP + 1)
    err = _refused(lab, path, f"a config of {CAP + 1:,} bytes (64 KB and one byte, padded with comments)", SIZE_HINT)
    check(any(word in err.lower() for word in ("kb", "kib", "bytes", "large", "big", "size")),
          f"the error for a config over 64 KB should say it is too large; it says: {err}", SIZE_HINT)
    fits = _padded(tmp_path, "fits.yaml", CAP)
    try:
        lab.load_config(fits)
    except Exception as error:
        fail(f"a valid config of exactly 64 KB ({CAP:,} bytes, padded with comments) was refused: {first_line(error)}",
             "refuse only a file larger than MAX_CONFIG_BYTES: exactly MAX_CONFIG_BYTES is allowed")


WRONG_FIELDS = [  # (field, value, what it is, more words the error must hold): each refused, naming the field
    ("main_sql", ["SELECT 1"], "a list", ()),
    ("main_sql", " ", "blank", ()),
    ("description", 42, "a number", ()),
    ("pre_sql", ["DROP VIEW v"], "a list", ()),
    ("after_sql", {"grant": "reader"}, "a mapping", ()),
    ("schema", ["analytics"], "a list", ()),
    ("input_check", "SELECT COUNT(*) FROM public.nps", "text", ("list",)),
    ("output_check", {"unique": "month"}, "a mapping", ("list",)),
]


@pytest.mark.points(1)
def test_a_field_of_the_wrong_type_is_refused_by_name(lab, tmp_path):
    """A field of the wrong type (main_sql a list, description a number, …) is refused naming the file and the field"""
    for number, (field, value, what, words) in enumerate(WRONG_FIELDS, 1):
        path = write_config(tmp_path, course_config("nps_summary_monthly", **{field: value}), f"case{number}.yaml")
        _refused(lab, path, f"a config whose {field} is {what} ({value!r})", TYPE_HINT, field, *words)
    fine = {**course_config("nps_summary_monthly"), "description": None, "pre_sql": None, "after_sql": None}
    path = write_config(tmp_path, fine, "empty_optionals.yaml")
    try:
        config = lab.load_config(path)
    except Exception as err:
        fail(f"a config whose description, pre_sql and after_sql are empty (null) was refused: {first_line(err)}",
             "description, pre_sql and after_sql are optional: None (an empty value) means none")
    check(not config.pre_sql and not config.after_sql and not config.description,
          f"empty optional fields should load as none; got pre_sql {config.pre_sql!r}, after_sql {config.after_sql!r}, "
          f"description {config.description!r}")


WRONG_CHECKS = [  # (field, the check, what is wrong, words the error must hold)
    ("output_check", {"unique": 5}, "a column that is a number", ("unique",)),
    ("output_check", {"unique": ["month", 5]}, "a list holding a number", ("unique",)),
    ("output_check", {"not_null": {"column": "nps"}}, "a mapping", ("not_null",)),
    ("output_check", {"range": "nps"}, "text instead of {column, min, max}", ("range",)),
    ("output_check", {"range": {"column": "nps", "min": "low", "max": 100}}, "a min that is text", ("range",)),
    ("output_check", {"range": {"column": "nps", "min": -100}}, "no max", ("range",)),
    ("output_check", {"fresh": "2019-12-01"}, "text instead of {column, since}", ("fresh",)),
    ("output_check", {"fresh": {"column": "month", "since": "last week"}}, "a since that is no date", ("fresh",)),
    ("output_check", {"sql": 12, "equals": 12}, "a number instead of a query", ("sql",)),
    ("output_check", {"sql": "SELECT COUNT(*) FROM {table}", "equals": "12"}, "a bound that is text", ("equals",)),
    ("output_check", {"sql": "SELECT COUNT(*) FROM {table}"}, "no min, max or equals", ("sql",)),
    ("output_check", {"uniq": "month"}, "a kind of check that does not exist", ("uniq",)),
    ("output_check", {"unique": "month", "not_null": "nps"}, "two kinds in one check", ("unique", "not_null")),
    ("input_check", {"unique": "month"}, "a unique check before the table exists", ("unique",)),
]


@pytest.mark.points(1)
def test_a_malformed_check_is_refused_by_name(lab, tmp_path):
    """A check of the wrong shape (unique: 5, range: "str", an unknown kind, …) is refused naming the file, the field and the check"""
    for number, (field, one, what, words) in enumerate(WRONG_CHECKS, 1):
        checks = course_config("nps_summary_monthly")[field] + [one]
        path = write_config(tmp_path, course_config("nps_summary_monthly", **{field: checks}), f"case{number}.yaml")
        # which check: its field and its place in the list, counted from 1 (check_check's `where`)
        _refused(lab, path, f"a config whose {field} has {one!r} ({what}) as its check #{len(checks)}", CHECK_HINT,
                 f"{field} #{len(checks)}", *words)
    several = course_config("nps_summary_monthly", output_check=[{"unique": ["month", "responses"]}, {"not_null": ["month", "nps"]}])
    try:
        lab.load_config(write_config(tmp_path, several, "several.yaml"))
    except Exception as err:
        fail(f"a config whose unique and not_null checks name lists of columns was refused: {first_line(err)}",
             "unique and not_null take one column name or a list of them")


@pytest.mark.points(1)
def test_depends_on_must_be_a_list(lab, tmp_path):
    """depends_on written without brackets (one name, a string) is refused naming the field, not read letter by letter"""
    path = write_config(tmp_path, course_config("nps_summary_monthly", depends_on="nps_summary_daily"), "monthly.yaml")
    try:
        config = lab.load_config(path)
    except NotImplementedError:
        raise
    except Exception as err:
        check(isinstance(err, ValueError) and "monthly.yaml" in str(err) and "depends_on" in str(err),
              f"depends_on: nps_summary_daily (a string) should be refused with a ConfigError naming the file (monthly.yaml) "
              f"and the field (depends_on); got {first_line(err)}", DEPENDS_HINT)
    else:
        fail(f"a config with depends_on: nps_summary_daily (a string, not a list) loaded, depending on {config.depends_on[:4]}…"
             if len(config.depends_on) > 1 else
             "a config with depends_on: nps_summary_daily (a string, not a list) loaded without an error", DEPENDS_HINT)


@pytest.mark.points(2)
@pytest.mark.timeout(60)
def test_a_broken_config_fails_alone(lab, tmp_path, monkeypatch):
    """A broken config gets a failing task named after it that says why, and the DAG still builds every other summary"""
    folder = tmp_path / "summaries"
    for name in ("nps_summary_daily", "nps_summary_monthly", "channel_summary"):
        write_config(folder, course_config(name))
    write_config(folder, "table: mau_summary\nmain_sql: [SELECT 1\n", "mau_summary.yaml")  # not valid YAML
    monkeypatch.setenv("SUMMARY_CONFIG_DIR", str(folder))
    dags, errors = dags_in_file(Path(lab.__file__))
    todo = next((line for trace in errors.values() for line in trace.splitlines() if "NotImplementedError: TODO" in line), None)
    if todo:  # the loader is still a TODO: say so, not that a broken file took the DAG down
        raise NotImplementedError(todo.split("NotImplementedError: ", 1)[1])
    check(not errors, "one broken config (mau_summary.yaml, not valid YAML) took the whole DAG down: "
          + import_failure("the file", errors), BROKEN_HINT)
    dag = dags[DAG_ID]
    try:
        found, broken = lab.discover(folder)
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"discover raised {first_line(err)} for a folder holding one broken config", BROKEN_HINT)
    todo = next((why for why in broken.values() if "NotImplementedError: TODO" in why), None)
    if todo:  # every file "broken" by a TODO in the loader: say that, not that the files are broken
        raise NotImplementedError(todo.split("NotImplementedError: ", 1)[1])
    check(sorted(found) == ["channel_summary", "nps_summary_daily", "nps_summary_monthly"],
          f"discover found {sorted(found) or 'no config'} in a folder of three good configs and a broken one; "
          f"it reports as broken: {'; '.join(sorted(broken.values()))[:300] or 'nothing'}",
          "each good config must load: load_config is used for every file")
    check(broken and "mau_summary.yaml" in "".join(broken.values()),
          f"discover should report the broken file by name (mau_summary.yaml); it reports {broken or 'nothing'}", BROKEN_HINT)
    task = dag.task_dict.get("build_mau_summary")
    channel = dag.task_dict.get("build_channel_summary")
    check(task is not None and channel is not None and "build_mau_summary" in channel.upstream_task_ids,
          f"tasks {sorted(dag.task_dict)}: the broken config needs a task of its own (build_mau_summary), upstream of "
          "build_channel_summary, which depends on it")
    err = expect_failure(lambda: task.python_callable(*task.op_args, **task.op_kwargs),
                         "the task of the broken mau_summary.yaml succeeded: it should fail, saying why")
    check("mau_summary.yaml" in str(err), f"the broken config's task should fail with an error naming the file "
          f"(mau_summary.yaml); it says: {err}", BROKEN_HINT)
    check("<unicode string>" not in str(err), f"the broken config's task fails with an error that points at \"<unicode "
          f"string>\" where the file belongs: {err}", "parse with parse_yaml(text, file name), not yaml.safe_load: its "
          "errors say the line, and load_config adds the file's name")


@pytest.mark.points(1)
def test_checks_take_lists_of_columns_and_sql_with_braces(lab, warehouse, tmp_path):
    """unique and not_null checks may name several columns, and a sql check may hold braces of its own ('{…}'::date[])"""
    config = course_config("nps_summary_monthly", output_check=[
        {"unique": ["month", "responses"]}, {"not_null": ["month", "nps"]},
        {"sql": "SELECT COUNT(*) FROM {table} WHERE month = ANY('{2019-01-01,2019-02-01}'::date[])", "equals": 2},
    ])
    try:
        built = build(lab, warehouse, config, tmp_path)
    except NotImplementedError:
        raise
    except Exception as err:
        fail(f"a build whose checks name lists of columns and an array literal ('{{…}}'::date[]) failed: {first_line(err)}",
             "check_query replaces {table} only; keep it as given")
    check(built == 12 and len(rows(warehouse, "nps_summary_monthly", "month", "month")) == 12,
          f"the build returned {built}; expected the 12 months of nps_summary_monthly")

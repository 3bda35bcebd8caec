# Generated from dags/lab2_nps_summary.py by `labkit release`: edit the parts marked TODO.
"""Lab 2 — summary tables built from config, guarded by input and output checks (요약 테이블).

Analysts add a summary by dropping a YAML file into `dags/config/summaries/`: a table
name, the SELECT that builds it, and checks. For each config, in dependency order:

1. run the **input checks** (is the source data there and sane?);
2. build the new table under a **unique temporary name** with CTAS;
3. run the **output checks** against that temporary table (row count, unique key, no
   NULLs, value range, freshness);
4. **swap** it in, in one transaction.

Any failed check fails the task and leaves the previous table exactly as it was, with no
temporary table left behind.

What this version fixes in the course code (Build_Summary_v2): configs are YAML read
safely (`yaml.safe_load` rules, no aliases, at most 64 KB) and every field is validated
(the course `eval`-ed Python files), a broken config fails its own task instead of the
whole DAG, identifiers are validated and quoted, temporary names are unique per run (the
course's `temp_<table>` collided between runs and was left behind on failure), checks go
beyond row counts, and
the swap never uses `DROP … CASCADE` (a view on the summary makes the swap fail loudly
instead of silently dropping the view). SQL is PostgreSQL: `created_at::date`, not
Redshift's `LEFT(created_at, 10)`; `ROUND(x::numeric, 2)`, not `ROUND(float, 2)`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pendulum
import psycopg2
import yaml
from psycopg2 import sql

from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import dag, get_current_context, task

log = logging.getLogger(__name__)

WAREHOUSE_CONN_ID = "warehouse"
# The analysts' configs: beside this file, or where the kit points (your starter in labs/
# reads the same configs as the reference).
CONFIG_DIR = Path(os.environ.get("SUMMARY_CONFIG_DIR") or Path(__file__).resolve().parent / "config" / "summaries")

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")  # leaves room for a temp suffix within 63 chars
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # a column as main_sql names it, unquoted (PostgreSQL: ≤ 63 chars)
REQUIRED = {"table", "schema", "main_sql", "input_check", "output_check"}
OPTIONAL = {"description", "pre_sql", "after_sql", "depends_on"}
CHECK_KINDS = {"sql", "unique", "not_null", "range", "fresh"}
BOUNDS = ("min", "max", "equals")  # what a sql check's value is compared with
CHECK_FIELDS = {"range": ("column", "min", "max"), "fresh": ("column", "since")}  # the mapping each of these takes
# A config is a page of YAML. The cap is checked before anything is parsed: a 30 MB file
# would otherwise cost a minute of CPU and half a gigabyte at every parse of the DAG file.
MAX_CONFIG_BYTES = 64 * 1024


class ConfigError(ValueError):
    """A config file is not valid. The message names the file and the field."""


class CheckFailed(RuntimeError):
    """An input or output check did not hold: the build stops, the old table stays."""


@dataclass
class SummaryConfig:
    table: str
    schema: str
    main_sql: str
    input_check: list[dict[str, Any]]
    output_check: list[dict[str, Any]]
    source: str = "<config>"
    description: str = ""
    pre_sql: str | None = None
    after_sql: str | None = None
    depends_on: list[str] = field(default_factory=list)


# ---- Reading configs ---------------------------------------------------------------------
class _NoAliasLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses anchors and aliases (`&name` / `*name`).

    An alias repeats a value without repeating its text: ten lines of aliases to aliases
    (the "billion laughs" file, 1 KB) stand for 10⁹ strings, and whatever walks the result
    (`str()`, a type check, logging it) runs for minutes and runs out of memory. A summary
    config never needs them, so the first anchor or alias stops the parse.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (&/*) are not allowed in a summary config: write the value out", event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str, source: str) -> Any:
    """`yaml.safe_load` for configs: no Python tags (no code runs), no aliases, and a yaml.YAMLError
    of one line, "line 3, column 1: <what is wrong>", for a task log and the UI (safe_load's
    spread over five lines and name the file "<unicode string>")."""
    loader = _NoAliasLoader(text)
    loader.name = source  # the name the error marks show
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = err.problem or err.context or "not valid YAML"
        if err.problem and err.context:  # "while parsing a flow sequence", and where it began
            began = err.context_mark
            what += f" ({err.context} at line {began.line + 1}, column {began.column + 1})" if began else f" ({err.context})"
        raise yaml.YAMLError(where + what) from None
    except RecursionError:  # [[[[… a few hundred levels deep: the parser recurses once per level
        raise yaml.YAMLError("nested too deeply for a summary config") from None
    finally:
        loader.dispose()


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _what(value: Any) -> str:
    """A YAML value as whoever wrote it reads it: "a list ([...])", "a number (5)", "text ('x')"."""
    if value is None:
        return "nothing (an empty value)"
    for kind, name in ((bool, "true/false"), ((int, float), "a number"), (str, "text"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return f"{name} ({_short(value)})"
    return f"{type(value).__name__} ({_short(value)})"


def _is_number(value: Any) -> bool:
    # YAML's true/false are bools, and bool is an int in Python: refuse them as numbers. NaN meets no bound.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _is_moment(value: Any) -> bool:
    """A date or timestamp: YAML's own (2019-12-01 unquoted) or text that reads as one ("2019-12-01")."""
    if isinstance(value, (date, datetime)):
        return True
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def check_name(value: Any, what: str, source: str) -> str:
    """An identifier from a config: lower-case letters, digits and _, or it is refused."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(f"{source}: {what} {value!r} is not a valid name (lower-case letters, digits, _; ≤ 40 chars)")
    return value


def check_check(check: Any, where: str, source: str, before_table: bool = False) -> None:
    """One check of a config, in the shape check_query reads, or ConfigError naming the file,
    where the check is (`output_check #2`), its kind and what is wrong with it.

    `before_table`: an input check. It runs before the new table exists, so it is a sql check,
    and its SQL cannot use {table}.
    """
    known = ", ".join(sorted(CHECK_KINDS))
    if not isinstance(check, dict):
        raise ConfigError(f"{source}: {where} must be a check, a mapping such as {{unique: month}}, not {_what(check)}")
    kinds = sorted(set(check) & CHECK_KINDS)
    if not kinds:
        raise ConfigError(f"{source}: {where} is no kind of check ({', '.join(map(str, check)) or 'empty'}): use one of {known}")
    if len(kinds) > 1:
        raise ConfigError(f"{source}: {where} holds {len(kinds)} checks ({', '.join(kinds)}): write one per '- ' line")
    kind = kinds[0]
    spec = check[kind]
    extra = sorted(str(key) for key in set(check) - {kind} - (set(BOUNDS) if kind == "sql" else set()))
    problem = None
    if extra:
        problem = f"{', '.join(extra)} is not part of a {kind} check"
    elif before_table and kind != "sql":
        problem = "an input check runs before the new table exists, so it can only be a sql check"
    elif kind == "sql":
        bounds = [key for key in BOUNDS if key in check]
        wrong = [key for key in bounds if not _is_number(check[key])]
        if not isinstance(spec, str) or not spec.strip():
            problem = f"sql is the query (text) that returns the value to check, not {_what(spec)}"
        elif not bounds:
            problem = "a sql check needs min, max or equals: the bound its value must meet"
        elif wrong:
            problem = f"{wrong[0]} must be a number, not {_what(check[wrong[0]])}"
        elif before_table and "{table}" in spec:
            problem = "{table} is the new table, which does not exist yet when input checks run"
    elif kind in ("unique", "not_null"):
        columns = [spec] if isinstance(spec, str) else spec
        if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and _COLUMN.match(c) for c in columns):
            problem = f"{kind} takes a column name or a list of column names, not {_what(spec)}"
    else:  # range, fresh: a mapping of exactly their fields
        fields = CHECK_FIELDS[kind]
        if not isinstance(spec, dict) or set(spec) != set(fields):
            problem = f"{kind} takes a mapping of {', '.join(fields)}, like {{{', '.join(f'{f}: …' for f in fields)}}}, not {_what(spec)}"
        elif not (isinstance(spec["column"], str) and _COLUMN.match(spec["column"])):
            problem = f"{kind}'s column must be a column name, not {_what(spec['column'])}"
        elif kind == "range" and not (_is_number(spec["min"]) and _is_number(spec["max"])):
            problem = f"range's min and max must be numbers, not {_what(spec['min'])} and {_what(spec['max'])}"
        elif kind == "range" and spec["min"] > spec["max"]:
            problem = f"range's min ({spec['min']}) is above its max ({spec['max']}): no value could pass"
        elif kind == "fresh" and not _is_moment(spec["since"]):
            problem = f"fresh's since must be a date or a timestamp, like \"2019-12-01\", not {_what(spec['since'])}"
    if problem:
        raise ConfigError(f"{source}: {where} ({kind}): {problem}")


def validate_config(raw: Any, source: str = "<config>") -> SummaryConfig:
    """Turn a parsed YAML document into a SummaryConfig, or raise ConfigError saying why."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a summary config is a mapping of fields, got {type(raw).__name__}")
    # TODO: refuse unknown fields and missing required fields (REQUIRED, OPTIONAL), naming them and the file; then the type of every field, naming the file and the field: main_sql text (not empty), description / pre_sql / after_sql text or left out, depends_on a list (a string is refused: "abc" would become a, b, c), input_check and output_check lists whose every check passes check_check (input checks before_table=True); return the SummaryConfig, with table, schema and each depends_on entry through check_name
    raise NotImplementedError('TODO: refuse unknown fields and missing required fields (REQUIRED, OPTIONAL), naming them and the file; then the type of every field, naming the file and the field: main_sql text (not empty), description / pre_sql / after_sql text or left out, depends_on a list (a string is refused: "abc" would become a, b, c), input_check and output_check lists whose every check passes check_check (input checks before_table=True); return the SummaryConfig, with table, schema and each depends_on entry through check_name')


def load_config(path: Path) -> SummaryConfig:
    """Read one YAML config safely and validate it: any problem is a ConfigError naming the file."""
    path = Path(path)
    # TODO: read at most MAX_CONFIG_BYTES + 1 bytes and refuse a bigger file, naming it (never read it whole); decode UTF-8; parse with parse_yaml (safe_load's rules without aliases; never eval or yaml.load); turn read, decoding and YAML errors into ConfigError naming the file; then validate_config
    raise NotImplementedError("TODO: read at most MAX_CONFIG_BYTES + 1 bytes and refuse a bigger file, naming it (never read it whole); decode UTF-8; parse with parse_yaml (safe_load's rules without aliases; never eval or yaml.load); turn read, decoding and YAML errors into ConfigError naming the file; then validate_config")


def discover(folder: Path = CONFIG_DIR) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every config of `folder`, read when the DAG file is parsed: (table -> depends_on of
    each config that loads, task name -> why, for each that does not).

    One broken file must not take the other summaries down with it: an exception here is an
    import error, and Airflow then shows no DAG at all. So a file that does not load is
    logged as an error and becomes a task of its own that fails with the reason
    (`config_error`): in the UI, a red task named after the file, whose log says what to
    fix and whose failure alert goes out like any other; the summaries that depend on it
    wait (upstream_failed) instead of building on a stale table; every other summary builds.
    """
    found: dict[str, list[str]] = {}
    broken: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        name = re.sub(r"[^\w.-]", "_", path.stem, flags=re.ASCII)  # a valid task id, whatever the file is called
        try:
            config = load_config(path)
            if config.table != path.stem:  # the build task finds the config by its table's name
                raise ConfigError(f"{path.name}: holds table {config.table}: name the file {config.table}.yaml")
        # Not only ConfigError: whatever one file makes the loader raise stays with that file
        # (a TODO left in the loader too: the starter's DAG shows a red task per file saying so).
        except Exception as err:  # noqa: BLE001
            broken[name] = str(err) if isinstance(err, ConfigError) else f"{path.name}: {type(err).__name__}: {err}"
            log.error("summary config %s is broken; its summary is not built: %s", path.name, broken[name])
            continue
        found[config.table] = config.depends_on
    # A dependency that no file configures would make build_order refuse the whole DAG:
    # the summary that needs it is broken instead (a broken file still counts: it has a task).
    for table, depends_on in list(found.items()):
        missing = [d for d in depends_on if d not in found and d not in broken]
        if missing:
            del found[table]
            broken[table] = f"{table}.yaml: depends on {', '.join(missing)}, which no config in {folder.name}/ builds"
            log.error("summary config %s.yaml is broken; its summary is not built: %s", table, broken[table])
    return found, broken


# ---- Checks --------------------------------------------------------------------------------
def check_query(check: dict[str, Any], table: sql.Composable | None) -> tuple[sql.Composable, tuple, str]:
    """(query returning one value, its parameters, a description) for one check."""
    if "sql" in check:
        text = check["sql"]
        if table is None or "{table}" not in text:
            return sql.SQL(text), (), text.strip()
        # {table} is the one placeholder: split on it rather than str.format the analyst's SQL,
        # whose own braces ('{1,2}'::int[], JSON) are SQL, not placeholders.
        parts: list[sql.Composable] = []
        for number, piece in enumerate(text.split("{table}")):
            parts += [table, sql.SQL(piece)] if number else [sql.SQL(piece)]
        return sql.Composed(parts), (), text.strip()
    if table is None:
        raise ConfigError(f"only sql checks can run before the table exists, not {check}")
    kind = next(iter(set(check) & CHECK_KINDS))
    spec = check[kind]
    if kind in ("unique", "not_null"):  # one column, or a list of them
        names = [spec] if isinstance(spec, str) else list(spec)
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
    if kind == "unique":
        query = sql.SQL("SELECT COUNT(*) FROM (SELECT {c} FROM {t} GROUP BY {c} HAVING COUNT(*) > 1) AS dup").format(c=columns, t=table)
        return query, (), f"unique {', '.join(names)}"
    if kind == "not_null":
        nulls = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier(name)) for name in names)
        return sql.SQL("SELECT COUNT(*) FROM {t} WHERE {n}").format(t=table, n=nulls), (), f"no NULL in {', '.join(names)}"
    if kind == "range":
        column = sql.Identifier(spec["column"])
        query = sql.SQL("SELECT COUNT(*) FROM {t} WHERE {c} < %s OR {c} > %s").format(t=table, c=column)
        return query, (spec["min"], spec["max"]), f"{spec['column']} within [{spec['min']}, {spec['max']}]"
    if kind == "fresh":
        column = sql.Identifier(spec["column"])
        query = sql.SQL("SELECT COUNT(*) FROM {t} WHERE {c} >= %s::timestamp").format(t=table, c=column)
        return query, (spec["since"],), f"rows with {spec['column']} since {spec['since']}"
    raise ConfigError(f"unknown check {check}")


def expected(check: dict[str, Any]) -> dict[str, Any]:
    """The bounds a check's value must meet: unique/not_null/range find 0 offenders, fresh ≥ 1 row."""
    if "sql" in check:
        return {k: check[k] for k in ("min", "max", "equals") if k in check}
    if "fresh" in check:
        return {"min": 1}
    return {"equals": 0}


def run_checks(cur, checks: Iterable[dict[str, Any]], table: sql.Composable | None = None, stage: str = "check") -> None:
    """Run each check and raise CheckFailed (saying which and why) at the first that fails."""
    # TODO: for each check: build its query with check_query, run it, read the single value, compare with expected() (min / max / equals); raise CheckFailed naming the stage, the check and the value
    raise NotImplementedError('TODO: for each check: build its query with check_query, run it, read the single value, compare with expected() (min / max / equals); raise CheckFailed naming the stage, the check and the value')


# ---- Build and swap ---------------------------------------------------------------------------
def temp_name(config: SummaryConfig, run_id: str) -> str:
    """A temporary table name unique to this run, so concurrent runs never collide."""
    return f"{config.table}__tmp_{hashlib.sha1(run_id.encode()).hexdigest()[:10]}"


def build_summary(conn, config: SummaryConfig, run_id: str) -> int:
    """Checks, CTAS into a unique temp table, checks, atomic swap. Returns the new row count.

    On any failure the previous table is untouched and the temporary table is gone.
    """
    # TODO: create the schema if missing, committed on its own; then in ONE transaction: input checks; pre_sql; CTAS into schema.temp_name(config, run_id); output checks on it; rename the old table away, rename temp to the table, drop the old one (no CASCADE); after_sql; return the row count. Always drop the temp table on failure
    raise NotImplementedError('TODO: create the schema if missing, committed on its own; then in ONE transaction: input checks; pre_sql; CTAS into schema.temp_name(config, run_id); output checks on it; rename the old table away, rename temp to the table, drop the old one (no CASCADE); after_sql; return the row count. Always drop the temp table on failure')


def build_order(dependencies: dict[str, list[str]]) -> list[str]:
    """Tables in an order where each comes after what it depends on (refuses cycles)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table in order:
            return
        if table in visiting:
            raise ConfigError(f"depends_on makes a cycle through {table}")
        visiting.add(table)
        for dependency in dependencies.get(table, []):
            if dependency not in dependencies:
                raise ConfigError(f"{table} depends on {dependency}, which has no config")
            visit(dependency)
        visiting.discard(table)
        order.append(table)

    for table in sorted(dependencies):
        visit(table)
    return order


def alert_failure(context: dict[str, Any]) -> None:
    """Failure hook for every task: lab 3 sends this message to Slack; here it is logged.

    It names the summary, the run and the reason, so whoever is on call knows at once
    that the previous table is still being served and what to fix.
    """
    ti = context["ti"]
    message = (
        f"Summary build failed: {ti.task_id} in {ti.dag_id}, run {context.get('run_id')}. "
        f"The previous table is unchanged. Reason: {context.get('exception')}"
    )
    log.error(message)


def warehouse_connection():
    """A psycopg2 connection from the Airflow connection `warehouse` (see lab 1 for why psycopg2)."""
    conn = PostgresHook.get_connection(WAREHOUSE_CONN_ID)
    return psycopg2.connect(
        host=conn.host, port=conn.port or 5432, user=conn.login, password=conn.password, dbname=conn.schema, connect_timeout=10
    )


# ---- The DAG: one task per config, in dependency order ------------------------------------------
@task
def build_table(table: str) -> int:
    """Build one summary. The config is read again here: the file may have changed since the DAG was parsed."""
    config = load_config(CONFIG_DIR / f"{table}.yaml")
    run_id = get_current_context()["run_id"]
    with closing(warehouse_connection()) as conn:
        return build_summary(conn, config, run_id)


@task(retries=0)  # a broken file does not fix itself in five minutes
def config_error(name: str) -> None:
    """Stands in for the summary of a broken config (see `discover`): fails with the reason.

    It gets the file's name, not the reason: task arguments are Jinja templates, and a reason
    quotes the file ("{{ var.value.… }}" in it would be rendered). The folder is read again
    now, so the reason is today's.
    """
    _, broken = discover()
    raise ConfigError(broken.get(name, f"{name}: loads now; the next parse of the DAG file builds it"))


@dag(
    dag_id="lab2_nps_summary",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule="30 6 * * *",
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5), "on_failure_callback": alert_failure},
    tags=["lab2", "course"],
    doc_md=__doc__,
)
def lab2_nps_summary():
    dependencies, broken = discover()
    # A broken config keeps its place in the graph: what depends on it waits for its task.
    graph = {**dependencies, **{name: [] for name in broken}}
    tasks = {}
    for name in build_order(graph):
        if name in broken:
            tasks[name] = config_error.override(task_id=f"build_{name}")(name)
        else:
            tasks[name] = build_table.override(task_id=f"build_{name}")(name)
        for dependency in graph[name]:
            tasks[dependency] >> tasks[name]


lab2_nps_summary()

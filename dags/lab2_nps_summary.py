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

What this version fixes in the course code (Build_Summary_v2): configs are YAML read with
`yaml.safe_load` and validated (the course `eval`-ed Python files), identifiers are
validated and quoted, temporary names are unique per run (the course's `temp_<table>`
collided between runs and was left behind on failure), checks go beyond row counts, and
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
from datetime import timedelta
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
REQUIRED = {"table", "schema", "main_sql", "input_check", "output_check"}
OPTIONAL = {"description", "pre_sql", "after_sql", "depends_on"}
CHECK_KINDS = {"sql", "unique", "not_null", "range", "fresh"}


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
def check_name(value: Any, what: str, source: str) -> str:
    """An identifier from a config: lower-case letters, digits and _, or it is refused."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(f"{source}: {what} {value!r} is not a valid name (lower-case letters, digits, _; ≤ 40 chars)")
    return value


def validate_config(raw: Any, source: str = "<config>") -> SummaryConfig:
    """Turn a parsed YAML document into a SummaryConfig, or raise ConfigError saying why."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a summary config is a mapping of fields, got {type(raw).__name__}")
    # BEGIN SOLUTION: refuse unknown fields and missing required fields (REQUIRED, OPTIONAL), naming them and the file
    unknown = sorted(set(raw) - REQUIRED - OPTIONAL)
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(REQUIRED | OPTIONAL))})")
    missing = sorted(REQUIRED - set(raw))
    if missing:
        raise ConfigError(f"{source}: missing required field(s) {', '.join(missing)}")
    # END SOLUTION
    for name in ("input_check", "output_check"):
        checks = raw[name]
        if not isinstance(checks, list) or not all(isinstance(c, dict) and len(set(c) & CHECK_KINDS) == 1 for c in checks):
            raise ConfigError(f"{source}: {name} must be a list of checks, each with one of {', '.join(sorted(CHECK_KINDS))}")
    depends_on = raw.get("depends_on") or []
    return SummaryConfig(
        table=check_name(raw["table"], "table", source),
        schema=check_name(raw["schema"], "schema", source),
        main_sql=str(raw["main_sql"]),
        input_check=raw["input_check"],
        output_check=raw["output_check"],
        source=source,
        description=str(raw.get("description", "")),
        pre_sql=raw.get("pre_sql"),
        after_sql=raw.get("after_sql"),
        depends_on=[check_name(d, "depends_on entry", source) for d in depends_on],
    )


def load_config(path: Path) -> SummaryConfig:
    """Read one YAML config safely and validate it."""
    # BEGIN SOLUTION: read the file with yaml.safe_load (never eval or yaml.load), turn YAML errors into ConfigError naming the file, then validate_config
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{Path(path).name}: not valid YAML for a summary config: {err}") from None
    return validate_config(raw, Path(path).name)
    # END SOLUTION


def discover(folder: Path = CONFIG_DIR) -> dict[str, list[str]]:
    """table -> depends_on, for building the DAG when the file is parsed (cheap, safe)."""
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(raw, dict) and isinstance(raw.get("table"), str):
            found[raw["table"]] = [d for d in raw.get("depends_on") or [] if isinstance(d, str)]
    return found


# ---- Checks --------------------------------------------------------------------------------
def check_query(check: dict[str, Any], table: sql.Composable | None) -> tuple[sql.Composable, tuple, str]:
    """(query returning one value, its parameters, a description) for one check."""
    if "sql" in check:
        text = check["sql"]
        query = sql.SQL(text).format(table=table) if table is not None and "{table}" in text else sql.SQL(text)
        return query, (), text.strip()
    if table is None:
        raise ConfigError(f"only sql checks can run before the table exists, not {check}")
    kind = next(iter(set(check) & CHECK_KINDS))
    spec = check[kind]
    if kind == "unique":
        column = sql.Identifier(spec)
        query = sql.SQL("SELECT COUNT(*) FROM (SELECT {c} FROM {t} GROUP BY {c} HAVING COUNT(*) > 1) AS dup").format(c=column, t=table)
        return query, (), f"unique {spec}"
    if kind == "not_null":
        return sql.SQL("SELECT COUNT(*) FROM {t} WHERE {c} IS NULL").format(t=table, c=sql.Identifier(spec)), (), f"no NULL in {spec}"
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
    # BEGIN SOLUTION: for each check: build its query with check_query, run it, read the single value, compare with expected() (min / max / equals); raise CheckFailed naming the stage, the check and the value
    for check in checks:
        query, params, what = check_query(check, table)
        cur.execute(query, params or None)
        row = cur.fetchone()
        value = row[0] if row else None
        bounds = expected(check)
        ok = value is not None and (
            ("equals" not in bounds or value == bounds["equals"])
            and ("min" not in bounds or value >= bounds["min"])
            and ("max" not in bounds or value <= bounds["max"])
        )
        if not ok:
            wanted = ", ".join(f"{k} {v}" for k, v in bounds.items())
            raise CheckFailed(f"{stage} failed: {what} gave {value}, expected {wanted}")
    # END SOLUTION


# ---- Build and swap ---------------------------------------------------------------------------
def temp_name(config: SummaryConfig, run_id: str) -> str:
    """A temporary table name unique to this run, so concurrent runs never collide."""
    return f"{config.table}__tmp_{hashlib.sha1(run_id.encode()).hexdigest()[:10]}"


def build_summary(conn, config: SummaryConfig, run_id: str) -> int:
    """Checks, CTAS into a unique temp table, checks, atomic swap. Returns the new row count.

    On any failure the previous table is untouched and the temporary table is gone.
    """
    # BEGIN SOLUTION: create the schema if missing, committed on its own; then in ONE transaction: input checks; pre_sql; CTAS into schema.temp_name(config, run_id); output checks on it; rename the old table away, rename temp to the table, drop the old one (no CASCADE); after_sql; return the row count. Always drop the temp table on failure
    schema = sql.Identifier(config.schema)
    target = sql.Identifier(config.schema, config.table)
    temp = sql.Identifier(config.schema, temp_name(config, run_id))
    old = f"{config.table}__old_{hashlib.sha1(run_id.encode()).hexdigest()[:10]}"
    # The schema first, committed on its own: left uncommitted in the build's transaction, it
    # would make a build of another summary in the same new schema (the DAG runs independent
    # summaries at once) wait for this whole build, then fail on a duplicate schema name.
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
    except psycopg2.errors.UniqueViolation:
        pass  # another build created it at the same instant: it exists, which is all we need
    try:
        with conn:  # build: checks and CTAS; committed only if every check passes
            with conn.cursor() as cur:
                run_checks(cur, config.input_check, stage="input check")
                if config.pre_sql:
                    cur.execute(config.pre_sql)
                cur.execute(sql.SQL("CREATE TABLE {} AS ").format(temp) + sql.SQL(config.main_sql))
                run_checks(cur, config.output_check, table=temp, stage="output check")
                # The swap, in the same transaction: all of it happens or none of it.
                cur.execute("SELECT to_regclass(%s)", (f"{config.schema}.{config.table}",))
                exists = cur.fetchone()[0] is not None
                if exists:
                    cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(target))
                    cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(target, sql.Identifier(old)))
                cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(temp, sql.Identifier(config.table)))
                if exists:
                    # No CASCADE: a view on the summary makes this fail, and the swap with it.
                    cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(config.schema, old)))
                if config.after_sql:
                    cur.execute(config.after_sql)
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))
                return cur.fetchone()[0]
    finally:
        # The transaction rolled back on failure, so the temp table is gone already (psycopg2's
        # `with conn:` opens a transaction even in autocommit mode); dropping it again is cheap
        # insurance against a temp table of this run that something else committed.
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(temp))
    # END SOLUTION


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
    dependencies = discover()
    tasks = {}
    for table in build_order(dependencies):

        @task(task_id=f"build_{table}")
        def build(table: str = table) -> int:
            config = load_config(CONFIG_DIR / f"{table}.yaml")
            run_id = get_current_context()["run_id"]
            with closing(warehouse_connection()) as conn:
                return build_summary(conn, config, run_id)

        tasks[table] = build()
        for dependency in dependencies[table]:
            tasks[dependency] >> tasks[table]


lab2_nps_summary()

# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 1 — loading a daily forecast without duplicates (중복 제거 업서트)
#
# Every morning a DAG asks a weather API for the next 8 days and loads them into the
# warehouse. Tomorrow it asks again — and 7 of those 8 days are ones we already loaded,
# with *revised* values. This lesson shows what goes wrong with the obvious load, and the
# pattern that fixes it: a **staging table**, `ROW_NUMBER()`, and one **transaction**.
#
# **This lab's files:** [the task (README)](../labs/lab1_dedupe_upsert/README.md) ·
# your starter [lab1_dedupe_upsert.py](../labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py) ·
# check your work with the `check(...)` cells below, or `make test lab1` in a terminal.
#
# Run the cells from top to bottom. Everything talks to services on your own machine.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab1")
services

# %% [markdown]
# Two small helpers from the kit: `show(rows, headers)` draws rows as a table, and
# `query(sql)` runs a `SELECT` on the warehouse and shows the result.

# %%
import psycopg2

from labkit.notebooks import querier, show

conn = services.warehouse()  # a psycopg2 connection to the warehouse (PostgreSQL)
query = querier(conn)


# %% [markdown]
# ## 1. The problem: today's forecast overlaps yesterday's
#
# The course used OpenWeather's One Call API (now discontinued). The kit serves the same
# JSON from a local fake. We start our **own** copy for this demo and call it twice —
# "yesterday's run" and "today's run". Note the `timeout` and `raise_for_status()`: an
# API call without them can hang a worker forever or load an error page as data.

# %%
import requests
from labkit.services.http_api import WeatherAPI

api = WeatherAPI(advance_daily=True).start()  # call N starts one day after call N-1
SEOUL = {"lat": 37.5665, "lon": 126.9780}


def fetch():
    params = {**SEOUL, "units": "metric", "appid": api.api_key}
    response = requests.get(api.url, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


run1, run2 = fetch(), fetch()
run1["daily"][0]

# %% [markdown]
# One row per day: `(date, temp, min_temp, max_temp, summary)`. `dt` is a Unix timestamp;
# we read it **in UTC** — `datetime.fromtimestamp(dt)` without `tz=` would use the
# worker's local time zone, and a worker far east of UTC would shift every date.

# %%
from datetime import datetime, timezone


def rows_of(payload):
    return [
        (datetime.fromtimestamp(d["dt"], tz=timezone.utc).date(), d["temp"]["day"], d["temp"]["min"], d["temp"]["max"], d["summary"])
        for d in payload["daily"]
    ]


rows1, rows2 = rows_of(run1), rows_of(run2)
temp1, temp2 = {r[0]: r[1] for r in rows1}, {r[0]: r[1] for r in rows2}
show([(d, temp1.get(d, "—"), temp2.get(d, "—")) for d in sorted(temp1 | temp2)], ["date", "temp, run 1", "temp, run 2"])
print(len(temp1.keys() & temp2.keys()), "of 8 dates are in both runs, with different values")

# %% [markdown]
# 9 dates, 16 rows. What we want in the warehouse after today: **9 rows, one per date,
# each with the newest forecast.**

# %% [markdown]
# ### ✏️ Your turn: part 1 — extract and transform
#
# Write `fetch_forecast` and `to_rows` in [your starter](../labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py)
# (the table in the [README](../labs/lab1_dedupe_upsert/README.md) says what each must do): the `timeout`
# and `raise_for_status()` of `fetch()` above, and `dt` read in UTC as in `rows_of`. Save
# the file (Ctrl+S), then run the cell below: it grades that part with the same tests as
# `make test lab1` and shows a score table, one line per test with the reason it failed.
# Run it again after every fix.
#
# It grades the file saved on disk, in a separate process: a bug in your file cannot break
# this notebook, and ■ (interrupt the kernel) stops a check that takes too long.

# %%
check("lab1", "extract_transform")

# %% [markdown]
# ## 2. The naive load: just INSERT every run
#
# A demo table shaped like the course's `weather_forecast`. `created_date` defaults to
# the time of the load — remember that column, it does the work later.

# %%
with conn, conn.cursor() as cur:  # `with conn`: commit at the end, roll back on an error
    cur.execute("DROP TABLE IF EXISTS demo_naive")
    cur.execute("""
        CREATE TABLE demo_naive (date date, temp float, min_temp float, max_temp float,
                                 summary text, created_date timestamp DEFAULT now())""")

INSERT = "INSERT INTO demo_naive (date, temp, min_temp, max_temp, summary) VALUES (%s, %s, %s, %s, %s)"
for rows in (rows1, rows2):  # two daily runs, one transaction each
    with conn, conn.cursor() as cur:
        cur.executemany(INSERT, rows)

query("SELECT date, COUNT(*) AS copies FROM demo_naive GROUP BY date HAVING COUNT(*) > 1 ORDER BY date")

# %% [markdown]
# Seven dates are there twice, and after a week most dates would be there 7 times. Any
# `SUM` or `AVG` over this table is now wrong.
#
# ### An aside: always pass values as parameters
#
# The `%s` above are **parameters**: psycopg2 sends the values separately from the SQL
# text. The course built its INSERTs with f-strings instead. That works — until a value
# contains a quote. Here is the course's style with a perfectly normal forecast summary:

# %%
day = (rows2[-1][0], 12.5, 10.0, 15.0, "Don't forget an umbrella")
course_sql = f"INSERT INTO demo_naive VALUES ('{day[0]}', '{day[1]}', '{day[2]}', '{day[3]}', '{day[4]}')"
print(course_sql)
try:
    with conn.cursor() as cur:
        cur.execute(course_sql)
except psycopg2.Error as error:
    print("\nPostgreSQL says:", error.pgerror)
finally:
    conn.rollback()  # nothing from this cell is kept

# %% [markdown]
# The apostrophe in *Don't* ended the string early. With a summary crafted on purpose,
# the same hole runs any SQL the sender likes (SQL injection). With parameters, psycopg2
# quotes the value correctly — `mogrify` shows the SQL it would send:

# %%
with conn.cursor() as cur:
    print(cur.mogrify(INSERT, day).decode())
conn.rollback()

# %% [markdown]
# ## 3. Why `SELECT DISTINCT *` is not a dedupe
#
# The course's `UpdateSymbol_v2` removed duplicates with `SELECT DISTINCT *`. DISTINCT
# removes rows that are equal in **every** column. A revised forecast is not equal: same
# date, different temperature. So it survives:

# %%
query("""
    SELECT date, COUNT(*) AS rows_after_distinct
    FROM (SELECT DISTINCT date, temp, min_temp, max_temp, summary FROM demo_naive) AS d
    GROUP BY date ORDER BY date""")

# %% [markdown]
# DISTINCT only helps when the very same data is loaded twice. What we need is "one row
# **per key** (the date), and it must be the newest" — a job for `ROW_NUMBER()`.
#
# ## 4. The fix: staging table + ROW_NUMBER + one transaction
#
# The pattern from the course (Weather_to_Redshift v2), step by step:
#
# 1. create a **staging table** (스테이징 테이블) shaped like the target, copy the
#    target's rows into it;
# 2. add the new rows to staging (now it has duplicates — that's fine);
# 3. `DELETE` everything from the target;
# 4. `INSERT` back only the newest row per date:
#    `ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) = 1`.
#
# Steps 3 and 4 must be **one transaction** (트랜잭션). We'll see why in section 5.
#
# ### First, how to create the staging table
#
# The course used `CREATE TABLE … AS SELECT` (CTAS). CTAS copies columns and rows, **but
# not column defaults**. `LIKE … INCLUDING DEFAULTS` keeps them. Compare:

# %%
with conn.cursor() as cur:
    cur.execute("CREATE TEMP TABLE demo_ctas AS SELECT * FROM demo_naive")
    cur.execute("CREATE TEMP TABLE demo_like (LIKE demo_naive INCLUDING DEFAULTS)")
    cur.execute("""
        SELECT table_name, column_default FROM information_schema.columns
        WHERE column_name = 'created_date' AND table_name IN ('demo_naive', 'demo_ctas', 'demo_like')
        ORDER BY table_name""")
    show(cur.fetchall(), ["table", "DEFAULT of created_date"])

# %% [markdown]
# In the CTAS copy, a new row gets `created_date = NULL`. The course's dedupe still
# "worked" by luck: PostgreSQL and Redshift sort NULLs **first** under `DESC`, so the
# NULL row won. Then its final INSERT left `created_date` out, so every row got a fresh
# timestamp anyway — the column lost its meaning.

# %%
with conn.cursor() as cur:
    cur.execute("INSERT INTO demo_ctas (date, temp, min_temp, max_temp, summary) VALUES (%s, %s, %s, %s, %s)", rows2[0])
    cur.execute("SELECT date, temp, created_date FROM demo_ctas WHERE date = %s ORDER BY created_date DESC", (rows2[0][0],))
    show(cur.fetchall(), ["date", "temp", "created_date (DESC order)"])
conn.rollback()  # the two temp tables vanish with the rollback

# %% [markdown]
# ### The dedupe swap
#
# Here are the four steps as one function. It takes a cursor, so the caller decides the
# transaction. Table names cannot be parameters, so the name goes through
# `psycopg2.sql.Identifier`, which quotes it safely.

# %%
from psycopg2 import sql
from psycopg2.extras import execute_values

NEWEST_PER_DATE = """
    INSERT INTO {target} (date, temp, min_temp, max_temp, summary, created_date)
    SELECT date, temp, min_temp, max_temp, summary, created_date
    FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq
          FROM demo_staging) AS ranked
    WHERE seq = 1"""


def dedupe_swap(cur, table, rows):
    target = sql.Identifier(table)
    cur.execute("DROP TABLE IF EXISTS demo_staging")
    cur.execute(sql.SQL("CREATE TEMP TABLE demo_staging (LIKE {} INCLUDING DEFAULTS)").format(target))
    cur.execute(sql.SQL("INSERT INTO demo_staging SELECT * FROM {}").format(target))  # 1. copy
    execute_values(cur, "INSERT INTO demo_staging (date, temp, min_temp, max_temp, summary) VALUES %s", rows)  # 2. add
    cur.execute(sql.SQL("DELETE FROM {}").format(target))  # 3. empty the target
    cur.execute(sql.SQL(NEWEST_PER_DATE).format(target=target))  # 4. newest row per date


# %% [markdown]
# A target table with yesterday's load in it, then today's run through the swap — inside
# `with conn:`, psycopg2's transaction block (COMMIT at the end, ROLLBACK on any error):

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS demo_weather")
    cur.execute("CREATE TABLE demo_weather (LIKE demo_naive INCLUDING DEFAULTS)")
    execute_values(cur, "INSERT INTO demo_weather (date, temp, min_temp, max_temp, summary) VALUES %s", rows1)

with conn, conn.cursor() as cur:  # one transaction: all four steps, or none
    dedupe_swap(cur, "demo_weather", rows2)

query("SELECT date, temp, summary, created_date FROM demo_weather ORDER BY date")

# %% [markdown]
# One row per date. The first date (only in run 1) keeps its older `created_date`; the
# others carry run 2's values and run 2's time. A quick check:

# %%
with conn.cursor() as cur:
    cur.execute("SELECT date, temp FROM demo_weather")
    loaded = dict(cur.fetchall())
conn.rollback()
assert len(loaded) == 9, loaded
assert all(loaded[d] == t for d, t in temp2.items()), "a date lost its newest value"
print("9 rows, one per date, each with the newest forecast ✓")

# %% [markdown]
# Run the same swap again with the same rows and you get the same table: the load is
# **idempotent** (멱등성) — re-running a failed or repeated day does no harm. That is what
# makes Airflow retries and backfills safe.
#
# ## 5. Why one transaction (트랜잭션, 원자성)
#
# Between `DELETE` and `INSERT` the target is empty. If the job dies right there —
# a bad row, a full disk, a killed worker — what is left?
#
# We inject a failure at exactly that point: a trigger that raises an error whenever
# someone INSERTs into the table. Two copies of `demo_weather` get the trigger.

# %%
with conn, conn.cursor() as cur:
    cur.execute("""
        CREATE OR REPLACE FUNCTION demo_fail() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'injected failure between DELETE and INSERT'; END $$""")
    for name in ("demo_no_tx", "demo_tx"):
        table = sql.Identifier(name)
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        cur.execute(sql.SQL("CREATE TABLE {} (LIKE demo_weather INCLUDING DEFAULTS)").format(table))
        cur.execute(sql.SQL("INSERT INTO {} SELECT * FROM demo_weather").format(table))
        cur.execute(sql.SQL("CREATE TRIGGER demo_fail_insert BEFORE INSERT ON {} "
                            "FOR EACH STATEMENT EXECUTE FUNCTION demo_fail()").format(table))

query("SELECT tgname AS trigger, tgrelid::regclass AS on_table FROM pg_trigger WHERE tgname = 'demo_fail_insert'")

# %% [markdown]
# **Without a transaction**: in autocommit mode every statement commits on its own, so the
# DELETE is final before the INSERT fails.

# %%
rows3 = rows_of(fetch())  # tomorrow's run

conn.autocommit = True
try:
    with conn.cursor() as cur:
        dedupe_swap(cur, "demo_no_tx", rows3)
except psycopg2.Error as error:
    print("failed:", error.diag.message_primary)
finally:
    conn.autocommit = False

query("SELECT COUNT(*) AS rows_left FROM demo_no_tx")

# %% [markdown]
# Every row is gone — the dashboard is empty until someone notices. **With a
# transaction**, the same failure rolls everything back, DELETE included:

# %%
try:
    with conn, conn.cursor() as cur:
        dedupe_swap(cur, "demo_tx", rows3)
except psycopg2.Error as error:
    print("failed:", error.diag.message_primary, "→ rolled back")

query("SELECT COUNT(*) AS rows_left FROM demo_tx")

# %% [markdown]
# All 9 rows are still there. A crash or a killed connection works the same way:
# PostgreSQL rolls back any transaction that never committed. And while the transaction
# runs, other readers keep seeing the old rows — nobody ever sees an empty table.
#
# As the course puts it: if steps 1–2 fail, just fail and retry — the target was not
# touched. Don't try to repair half-done work in code; make it impossible to half-do.
#
# Remove the trigger (dropping the tables drops their triggers) and the function:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE demo_no_tx, demo_tx")
    cur.execute("DROP FUNCTION demo_fail()")

# %% [markdown]
# ## 6. The PostgreSQL way: a primary key and `ON CONFLICT`
#
# Why all this staging work? Because **Redshift, like most warehouses, does not enforce
# primary keys** (기본 키): you may declare one, but it will happily store the same date
# twice. (Redshift has `MERGE` nowadays; the staging pattern works on any warehouse.)
# PostgreSQL enforces primary keys, and can upsert in one statement:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS demo_native")
    cur.execute("""
        CREATE TABLE demo_native (date date PRIMARY KEY, temp float, min_temp float, max_temp float, summary text,
                                  created_date timestamp NOT NULL DEFAULT now(),
                                  updated_date timestamp NOT NULL DEFAULT now())""")

UPSERT = """
    INSERT INTO demo_native (date, temp, min_temp, max_temp, summary) VALUES %s
    ON CONFLICT (date) DO UPDATE SET temp = EXCLUDED.temp, min_temp = EXCLUDED.min_temp,
        max_temp = EXCLUDED.max_temp, summary = EXCLUDED.summary, updated_date = now()"""
for rows in (rows1, rows2):
    with conn, conn.cursor() as cur:
        execute_values(cur, UPSERT, rows)

query("SELECT date, temp, created_date, updated_date FROM demo_native ORDER BY date")

# %% [markdown]
# `EXCLUDED` is the new row that collided. `created_date` is not in the `SET` list, so it
# keeps the first load's time; `updated_date` records the revision.
#
# One catch: a single `ON CONFLICT` statement may not touch the same row twice. If the
# **batch itself** holds a date twice, it fails — dedupe the batch first:

# %%
batch = rows3 + rows3[:1]  # the first date twice
try:
    with conn, conn.cursor() as cur:
        execute_values(cur, UPSERT, batch)
except psycopg2.Error as error:
    print("failed:", error.diag.message_primary)

latest = list({row[0]: row for row in batch}.values())  # the last row per date wins
with conn, conn.cursor() as cur:
    execute_values(cur, UPSERT, latest)
query("SELECT COUNT(*) AS rows, COUNT(DISTINCT date) AS dates FROM demo_native")

# %% [markdown]
# ### ✏️ Your turn: part 2 — load
#
# Write `create_table`, `upsert_dedupe` and `upsert_on_conflict` in
# [your starter](../labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py) — sections 4 to 6 as functions:
# a staging table made with `LIKE … INCLUDING DEFAULTS`, the newest row per date with `ROW_NUMBER()`, all of it in
# **one transaction**, and the `ON CONFLICT` version. (`table_identifier` and `copy_rows`
# are given.) Save (Ctrl+S), then run the cell below. Read a failing line's reason first:
# most are the mistakes this notebook just showed you.

# %%
check("lab1", "load")

# %% [markdown]
# ## 7. The reference solution, and the whole DAG in Airflow
#
# The kit's reference DAG, `dags/lab1_dedupe_upsert.py`, holds the same ideas as
# reusable functions: `fetch_forecast`, `to_rows`, `create_table`, `copy_rows` (one bulk
# `COPY` instead of row-by-row INSERTs), `upsert_dedupe` and `upsert_on_conflict`.
# We load it by path (this imports Airflow: a few seconds the first time).
#
# In the **student edition** there is no reference: the cells below run *your*
# `labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py` instead, and say which parts are still TODO.

# %%
from labkit.edition import lesson_module
from labkit.paths import ROOT

ref, path = lesson_module("lab1", "lab1_dedupe_upsert.py")
print("running", path.relative_to(ROOT))
for name in ("fetch_forecast", "to_rows", "create_table", "copy_rows", "upsert_dedupe", "upsert_on_conflict"):
    print(f"{name:20} {getattr(ref, name).__doc__.splitlines()[0]}")

# %% [markdown]
# Three daily runs through the reference `upsert_dedupe` — 8 dates, then 9, then 10:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS demo_reference")  # start empty, even on a second run
try:
    for n, rows in enumerate((ref.to_rows(run1), ref.to_rows(run2), rows3), start=1):
        print(f"run {n}:", ref.upsert_dedupe(conn, rows, table="demo_reference"), "rows")
    query("SELECT date, temp, created_date FROM demo_reference ORDER BY date")
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n(write it in {path.name}; `make test lab1` tells you how far you are)")

# %% [markdown]
# `upsert_dedupe` takes the table name as a string, so it validates it before quoting:

# %%
for name in ("demo_reference", "analytics.weather", "x; DROP TABLE demo_reference"):
    try:
        print(f"{name!r:35} → {ref.table_identifier(name).as_string(conn)}")
    except ValueError as error:
        print(f"{name!r:35} → refused: {error}")

# %% [markdown]
# ### Running the DAG
#
# Now the real thing: Airflow runs the DAG — `extract` → `transform` → `load` and
# `load_native`. It finds the API through the Variables `weather_api_url` /
# `weather_api_key` and the warehouse through the Connection `warehouse`, all from the
# environment variables `stack.ensure` exported. `DagBag` parses the file the way the DAG
# processor does; `import_errors` would show a broken file.

# %%
import warnings

from airflow.dag_processing.dagbag import DagBag

warnings.filterwarnings("ignore", message=".*starlette.testclient")  # noise from a dependency
bag = DagBag(dag_folder=str(path))
print("import errors:", bag.import_errors or "none")
dag = bag.get_dag("lab1_dedupe_upsert")
for task in dag.tasks:
    task.retries = 0  # a failing task would otherwise wait out retry_delay (5 minutes)
print(dag.dag_id, "→", [task.task_id for task in dag.tasks])

# %% [markdown]
# `dag.test()` runs one DAG run in this process — scheduler, executor and worker in one.
# We run it twice, like two mornings (the first call takes several seconds to start up):

# %%
for morning in (1, 2):
    dag_run = dag.test()
    states = sorted((ti.task_id, ti.state) for ti in dag_run.get_task_instances())
    print(f"morning {morning}: {dag_run.state} —", ", ".join(f"{task}={state}" for task, state in states))

# %%
if dag_run.state == "success":
    query("SELECT date, temp, min_temp, max_temp, summary, created_date FROM weather_forecast ORDER BY date")
else:
    print("The run failed: a task is still a TODO (or has a bug). `make test lab1` says which, and why.")

# %% [markdown]
# Two mornings, and still one row per date: the first morning's 8 dates, revised by the
# second, plus its new day. (`weather_forecast_native` holds the same data, loaded with
# `ON CONFLICT`.)

# %% [markdown]
# ### ✏️ Your turn: part 3 — the DAG
#
# Fill in the `@dag(...)` arguments in [your starter](../labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py):
# a daily `schedule` (not `schedule_interval`), `catchup=False`, and `default_args` with `retries`; and read
# Variables inside the tasks, never at the top of the file. These tests also run your whole
# DAG under `dag.test()`, so parts 1 and 2 must pass first. Save (Ctrl+S), then run the
# cell below.

# %%
check("lab1", "dag")

# %% [markdown]
# ## 8. Airflow 2 → 3: what the course code meets
#
# The course DAGs were written for Airflow 2. This is what Airflow 3.3 says to them:
#
# | Airflow 2 (course) | what a student sees on 3.3 | write instead |
# |---|---|---|
# | `DAG(..., schedule_interval="0 2 * * *")` | `TypeError: DAG.__init__() got an unexpected keyword argument 'schedule_interval'` | `schedule="0 2 * * *"` |
# | `from airflow.operators.python import PythonOperator` | works, with `DeprecatedImportWarning` | `@task` from `airflow.sdk` (or `airflow.providers.standard.operators.python`) |
# | `from airflow.operators.python_operator import PythonOperator` | `ModuleNotFoundError` | as above |
# | `PythonOperator(..., provide_context=True)` | `TypeError: Invalid arguments were passed to PythonOperator` | drop it: `@task` functions get the context via `get_current_context()` |
# | `from airflow.hooks.postgres_hook import PostgresHook` | `ModuleNotFoundError` | `from airflow.providers.postgres.hooks.postgres import PostgresHook` |
# | `Variable.get("url")` at the top of the file | runs on every parse of the file; a missing key breaks the import: `VARIABLE_NOT_FOUND` | `from airflow.sdk import Variable`, read it inside the task |
# | `context["execution_date"]`, `{{ execution_date }}` | `KeyError` / `UndefinedError` | `context["logical_date"]`, `{{ ds }}` |
# | `start_date=days_ago(1)` | `ImportError: cannot import name 'days_ago'` | `pendulum.datetime(2026, 1, 1, tz="UTC")` |
#
# Airflow is imported now, so the first row costs nothing to see live:

# %%
import pendulum
from airflow.sdk import DAG

try:
    DAG("course_style", schedule_interval="0 2 * * *", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"))
except TypeError as error:
    print("TypeError:", error)

# %% [markdown]
# ## 9. Where Redshift differs from PostgreSQL
#
# The course ran on Redshift; the kit's warehouse is PostgreSQL. The ideas carry over,
# some SQL does not:
#
# | | Redshift (course) | PostgreSQL (kit) |
# |---|---|---|
# | now | `DEFAULT GETDATE()` | `DEFAULT now()` — `getdate()` does not exist |
# | primary key | declared but **not enforced** → staging + ROW_NUMBER | enforced → `INSERT … ON CONFLICT` |
# | bulk load | `COPY t FROM 's3://bucket/key' IAM_ROLE '…' CSV` — the server reads S3 | `COPY t FROM STDIN` — the client streams the data (`copy_expert`) |
# | date of a timestamp | `LEFT(ts, 10)` | `ts::date` or `date_trunc('day', ts)` |
# | rounding a float | `ROUND(x::float, 2)` | `ROUND(x::numeric, 2)` — no `round(double precision, integer)` |
# | `TRUNCATE` | commits the open transaction at once: use `DELETE` inside a swap | transactional |
#
# The three Redshift-isms, tried on PostgreSQL:

# %%
for statement in ("SELECT GETDATE()", "SELECT LEFT(now()::timestamp, 10)", "SELECT ROUND(2.0::float / 3, 2)"):
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            print(f"{statement:38} → {cur.fetchone()[0]}")
    except psycopg2.Error as error:
        print(f"{statement:38} → {error.diag.message_primary}")
    finally:
        conn.rollback()

# %% [markdown]
# ## 10. Now you
#
# Your turn: **[`labs/lab1_dedupe_upsert/README.md`](../labs/lab1_dedupe_upsert/README.md)** has the task, the
# points and hints. You write the same pieces you saw here — the API call, the rows, the table, the dedupe
# upsert in one transaction, the `ON CONFLICT` version, and the DAG's schedule. Then save
# your file (Ctrl+S) and grade the whole lab:

# %%
check("lab1")

# %% [markdown]
# Read the score table from the top: each failing line names the concept it tests, and
# most of them are the mistakes this notebook showed you.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab1`.
# When you are done, `make submit lab1` makes the zip to hand in.
#
# Cleaning up this lesson's demo tables and our own fake API:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS demo_naive, demo_weather, demo_native, demo_reference")
conn.close()
api.stop()
print("clean")

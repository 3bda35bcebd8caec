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
# # Lab 2 — NPS summary tables, guarded by checks (요약 테이블 + 데이터 품질 체크)
#
# Analysts want summary tables — NPS per day and per month, monthly active users — and
# they want to add new ones without writing a DAG each time. In this lesson we compute
# NPS in SQL, see why rebuilding a summary in place is dangerous, and build the safe
# pattern: **check the input → build under a temporary name → check the output → swap
# in one transaction**, all driven by small YAML config files.
#
# **This lab's files:** [the task (README)](../labs/lab2_nps_summary/README.md) ·
# your starter [lab2_nps_summary.py](../labs/lab2_nps_summary/lab2_nps_summary.py) ·
# check your work with the `check(...)` cells below, or `make test lab2` in a terminal.
#
# Run the cells from top to bottom. Everything talks to services on your own machine.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab2")
services

# %% [markdown]
# Two small helpers from the kit, as in lab 1: `show(rows, headers)` draws rows as a
# table, and `query(sql)` runs a `SELECT` on the warehouse and shows the result.

# %%
import html

import psycopg2
from IPython.display import HTML, SVG, display

from labkit.notebooks import querier, show

conn = services.warehouse()  # a psycopg2 connection to the warehouse (PostgreSQL)
query = querier(conn)


# %% [markdown]
# ## 1. The data
#
# The course's tables were private, so the kit rebuilds them: `public.nps` holds 150,000
# survey answers from 2019 whose monthly NPS equals the course's published numbers, and
# `public.session_timestamp` / `public.user_session_channel` hold 101,000 sessions of 949
# users (for the MAU and channel summaries). Loading is idempotent: each call empties the
# tables first.

# %%
from labkit.data.nps import MONTHLY_NPS_2019, load_nps
from labkit.data.sessions import load_sessions

print("nps:", load_nps(conn), "rows")
print("user_session_channel, session_timestamp:", load_sessions(conn), "rows")
query("SELECT * FROM public.nps ORDER BY id LIMIT 5")

# %% [markdown]
# ## 2. What NPS is, in SQL
#
# **Net Promoter Score** (순추천지수) comes from one question: *"How likely are you to
# recommend us to a friend? (0–10)"*. Answers fall into three groups:
#
# | score | group |
# |---|---|
# | 9–10 | promoters (추천 고객) |
# | 7–8 | passives (중립 고객) |
# | 0–6 | detractors (비추천 고객) |
#
# **NPS = (promoters − detractors) × 100 / all answers**, so it runs from −100 to +100.
# Passives count in the denominator only.
#
# Step 1: a `CASE` expression gives each answer its group.

# %%
query("""
    SELECT score,
           CASE WHEN score >= 9 THEN 'promoter' WHEN score >= 7 THEN 'passive' ELSE 'detractor' END AS grp,
           COUNT(*) AS answers
    FROM public.nps GROUP BY 1, 2 ORDER BY 1""")

# %% [markdown]
# Step 2: turn the group into a number — promoter `+1`, detractor `−1`, passive `0` — so
# that `SUM` gives *promoters − detractors* in one pass. For the whole year:

# %%
query("""
    SELECT COUNT(*) AS answers,
           SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END) AS promoters,
           SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END) AS detractors,
           SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END) AS p_minus_d
    FROM public.nps""")

# %% [markdown]
# Step 3: per month. `date_trunc('month', created_at)` cuts a timestamp down to the first
# moment of its month; `GROUP BY 1` groups by the first column. The `::numeric` cast
# matters twice: `SUM(...) * 100 / COUNT(*)` on integers would be **integer division**
# (52.9 → 52), and PostgreSQL's two-argument `ROUND` only exists for `numeric`.

# %%
MONTHLY_SQL = """
    SELECT date_trunc('month', created_at)::date AS month,
           COUNT(*) AS responses,
           ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END)::numeric * 100 / COUNT(*), 2) AS nps
    FROM public.nps
    GROUP BY 1"""

with conn.cursor() as cur:
    cur.execute(MONTHLY_SQL + " ORDER BY 1")
    monthly = cur.fetchall()
conn.rollback()
show(monthly, ["month", "responses", "nps"])

# %% [markdown]
# ### Redshift SQL that PostgreSQL refuses
#
# The course ran on Redshift and wrote `LEFT(created_at, 10)` for "the date part" and
# `ROUND(x::float, 2)`. Redshift quietly turns the timestamp into text and rounds floats;
# PostgreSQL does neither:

# %%
REDSHIFT_STYLE = {
    "LEFT(created_at, 10)": "SELECT LEFT(created_at, 10) FROM public.nps LIMIT 1",
    "ROUND(float, 2)": "SELECT ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END)::float * 100 / COUNT(1), 2) FROM public.nps",
}
for name, statement in REDSHIFT_STYLE.items():
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
            print(f"{name:22} → {cur.fetchone()[0]}")
    except psycopg2.Error as error:
        print(f"{name:22} → {error.diag.message_primary}")
    finally:
        conn.rollback()  # a failed statement aborts the transaction: roll back before the next one

# %% [markdown]
# PostgreSQL versions: `created_at::date` (or `date_trunc('day', created_at)`) and
# `ROUND(x::numeric, 2)`. (The course's `CASE` had no `ELSE`: passives became `NULL`,
# which `SUM` skips — same result, but `ELSE 0` says what you mean.)
#
# ## 3. NPS by month, as a chart
#
# No plotting library is installed, so we draw the line ourselves: an SVG `<polyline>`
# through 12 points, with axes, month labels and the value at each point. The hollow
# circles are the course's real numbers (`MONTHLY_NPS_2019`); they should sit exactly on
# the line.

# %%
def line_chart(labels, values, reference=None, title="", width=680, height=320):
    left, right, top, bottom = 50, 20, 40, 45
    low, high = min(0, *values), max(values) * 1.15
    x = lambda i: left + i * (width - left - right) / (len(values) - 1)
    y = lambda v: top + (high - v) * (height - top - bottom) / (high - low)
    parts = [f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{html.escape(title)}</text>']
    for tick in range(int(low) // 10 * 10, int(high) + 1, 10):  # horizontal grid lines with labels
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="black"/>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="black"/>')
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4" stroke-width="2.5"/>')
    for i, (label, v) in enumerate(zip(labels, values)):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#1f77b4"/>')
        parts.append(f'<text x="{x(i):.1f}" y="{y(v) - 9:.1f}" text-anchor="middle" font-size="10">{v:g}</text>')
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11">{label}</text>')
    for i, v in enumerate(reference or []):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="7" fill="none" stroke="#d62728" stroke-width="1.5"/>')
    parts.append(f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle" font-size="12">month of 2019</text>')
    parts.append(f'<text x="14" y="{height / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 {height / 2})">NPS</text>')
    legend = (f'<line x1="{width - 250}" x2="{width - 230}" y1="34" y2="34" stroke="#1f77b4" stroke-width="2.5"/>'
              f'<text x="{width - 225}" y="38" font-size="11">computed</text>'
              f'<circle cx="{width - 150}" cy="34" r="6" fill="none" stroke="#d62728" stroke-width="1.5"/>'
              f'<text x="{width - 140}" y="38" font-size="11">course (real)</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">{"".join(parts)}{legend}</svg>'


computed = [float(nps) for _, _, nps in monthly]
display(SVG(line_chart([m.strftime("%b") for m, _, _ in monthly], computed, MONTHLY_NPS_2019, "NPS by month, 2019")))

# %%
show([(m, c, r, "✓" if c == r else "✗") for (m, _, _), c, r in zip(monthly, computed, MONTHLY_NPS_2019)],
     ["month", "computed (SQL)", "course (real)", "same?"])

# %% [markdown]
# January starts low (2.36) and September dips (37.95): a dashboard built on this table
# would make someone ask what happened in those months. That is why a **wrong** summary
# table is worse than a missing one — people act on it.
#
# ## 4. Why check before the swap
#
# ### The naive rebuild
#
# The obvious way to refresh a summary: drop it, then `CREATE TABLE … AS SELECT` (CTAS)
# under the same name. We use a second connection in **autocommit** mode, so every
# statement commits on its own — as a DAG task using a hook's `run()` typically does.

# %%
naive = services.warehouse()
naive.autocommit = True


def naive_rebuild(select):
    with naive.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS demo_nps_monthly")
        cur.execute("CREATE TABLE demo_nps_monthly AS " + select)


def reader_sees():
    try:
        query("SELECT COUNT(*) AS months, MIN(month), MAX(month) FROM demo_nps_monthly")
    except psycopg2.Error as error:
        conn.rollback()
        print("a dashboard reading demo_nps_monthly gets:", error.diag.message_primary)


naive_rebuild(MONTHLY_SQL)
reader_sees()

# %% [markdown]
# Fine while nothing goes wrong. Now tomorrow's SELECT has a bug that only shows on some
# rows — here a division that hits zero as soon as it meets a score of 10:

# %%
BROKEN_SQL = "SELECT date_trunc('month', created_at)::date AS month, SUM(100 / (10 - score)) AS nps FROM public.nps GROUP BY 1"
try:
    naive_rebuild(BROKEN_SQL)
except psycopg2.Error as error:
    print("rebuild failed:", error.diag.message_primary)
reader_sees()

# %% [markdown]
# The `DROP` had already committed: the table is **gone** until someone fixes the SQL.
# Worse is a SELECT that *succeeds* with wrong data. Pretend the upstream load of `nps`
# was still half done (we fake that with a `WHERE`):

# %%
HALF_LOADED_SQL = MONTHLY_SQL.replace("FROM public.nps", "FROM (SELECT * FROM public.nps WHERE created_at < '2019-07-01') AS nps")
naive_rebuild(HALF_LOADED_SQL)
reader_sees()

# %% [markdown]
# Six months instead of twelve, no error anywhere, and the task is green. Nobody notices
# until a meeting does.
#
# ### The safe pattern
#
# 1. **input checks** (입력 체크): is the source there and sane? (≥ 150,000 answers, every
#    score 0–10) — would have stopped the half-loaded build;
# 2. **CTAS into a temporary name**, unique per run (`nps_summary_monthly__tmp_3f2a…`):
#    readers still see the old table;
# 3. **output checks** (출력 체크) on the temporary table: exactly 12 months, no month
#    twice, no NULL NPS, every value within −100…100;
# 4. **swap in one transaction**: rename the old table aside, rename the new one into
#    place, drop the old one — readers see either the old table or the new one, never
#    nothing. Any failure: roll back, drop the temp table, fail the task.
#
# The analysts describe each summary in a YAML file in `dags/config/summaries/`:

# %%
from labkit.paths import DAGS

print((DAGS / "config" / "summaries" / "nps_summary_monthly.yaml").read_text())

# %% [markdown]
# The kinds of checks a config can use:
#
# | check | passes when |
# |---|---|
# | `sql: <query returning one value>` with `min` / `max` / `equals` | the value meets the bounds; `{table}` is the new table |
# | `unique: month` | no value of the column appears twice |
# | `not_null: nps` | the column has no NULL |
# | `range: {column: nps, min: -100, max: 100}` | every value is within the bounds |
# | `fresh: {column: month, since: "2019-12-01"}` | at least one row is that recent |
#
# Only `sql` checks make sense as input checks: the others look at the new table.
#
# ## 5. The lesson module: build every summary
#
# `dags/lab2_nps_summary.py` is the reference. We load it by path (this imports Airflow:
# a few seconds). In the **student edition** this runs *your*
# `labs/lab2_nps_summary/lab2_nps_summary.py` instead, and says which parts are still TODO.

# %%
from labkit.edition import lesson_module
from labkit.paths import ROOT

ref, path = lesson_module("lab2", "lab2_nps_summary.py")
print("running", path.relative_to(ROOT))
for name in ("load_config", "validate_config", "run_checks", "check_query", "build_summary", "temp_name", "build_order", "discover"):
    print(f"{name:16} {getattr(ref, name).__doc__.splitlines()[0]}")

# %% [markdown]
# Each check turns into one SQL query that returns one value (`check_query`), and
# `expected` says what that value must be. For the monthly config's output checks:

# %%
import yaml
from psycopg2 import sql

monthly_raw = yaml.safe_load((ref.CONFIG_DIR / "nps_summary_monthly.yaml").read_text())
new_table = sql.Identifier("analytics", ref.temp_name(ref.SummaryConfig("nps_summary_monthly", "analytics", "", [], []), "demo"))
for rule in monthly_raw["output_check"]:
    text, params, what = ref.check_query(rule, new_table)
    print(f"{what:40} {ref.expected(rule)}\n    {text.as_string(conn)}  {params or ''}")

# %% [markdown]
# ### A config is untrusted input
#
# Whoever can drop a file into `dags/config/summaries/` decides what the loader does, at
# every parse of the DAG file (every 30 seconds). The course `eval`-ed its configs: a
# config could run any code. `yaml.safe_load` stops that, but two attacks get through it.
#
# **An alias bomb** ("billion laughs"). YAML can name a value (`&a`) and repeat it (`*a`)
# without repeating its text. Nine aliases to the level before, level after level: each
# line multiplies the value by nine. Six levels here, small on purpose:

# %%
levels = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
levels += [f"&l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 6)]
laughs = "[" + ", ".join(levels) + "]"
value = yaml.safe_load(laughs)  # fast: the aliases are shared, not copied…
print(f"{len(laughs)} bytes of YAML → str() of the value is {len(str(value)):,} characters")  # …until something walks them

# %% [markdown]
# Each level more multiplies that by nine: ten lines, about 1 KB, stand for 10⁹ strings,
# and the first `str()` of them (a type check, a log line) runs for a minute and ends in
# `MemoryError`. A summary config never needs aliases, so the lab's `parse_yaml` is
# `safe_load` that refuses the first one, with the line it is on:

# %%
try:
    ref.parse_yaml("description: " + laughs, "laughs.yaml")
except yaml.YAMLError as refused:
    print("refused:", refused)

# %% [markdown]
# **An oversized file.** A config is a page of YAML; a 30 MB one took a minute of CPU and
# half a gigabyte to parse. `load_config` reads at most `MAX_CONFIG_BYTES + 1` bytes
# (64 KB and one), and refuses the file when it got that one byte more, before parsing
# anything. Then `validate_config` checks the type of every field, so `main_sql: [SELECT
# 1]` or `depends_on: nps_summary_daily` (no brackets: a string, which Python iterates
# letter by letter) is refused with the file's and the field's name, not half-way through
# a build.
#
# `discover()` loads every config of the folder when the DAG file is parsed, and
# `build_order` sorts the tables so that every one comes after what it depends on. A file
# that does not load is kept apart in `broken`: the DAG gives it a task that fails with
# the reason, and builds the others (one bad file must not make the whole DAG an import
# error).

# %%
try:
    dependencies, broken = ref.discover(ref.CONFIG_DIR)
    todo = next((why for why in broken.values() if "NotImplementedError: TODO" in why), None)
    if todo:  # every file is "broken" while load_config is still a TODO
        raise NotImplementedError(todo.split("NotImplementedError: ", 1)[1])
    order = ref.build_order(dependencies)
    print("build order:", order, "· broken:", broken or "none")
    configs = {table: ref.load_config(ref.CONFIG_DIR / f"{table}.yaml") for table in order}
    for config in configs.values():
        print(f"{config.schema}.{config.table:20} {len(config.input_check)} input / {len(config.output_check)} output checks  ← {config.source}")
except NotImplementedError as todo:
    order, configs = [], None
    print(f"Not written yet — {todo}\n(write it in {path.name}; `make test lab2` tells you how far you are)")

# %% [markdown]
# ### ✏️ Your turn: part 1 — configs
#
# Write `load_config` and the marked part of `validate_config` in
# [your starter](../labs/lab2_nps_summary/lab2_nps_summary.py)
# (the table in the [README](../labs/lab2_nps_summary/README.md) says what each must do):
# read at most 64 KB and one byte, parse with `parse_yaml` (never `eval`), turn any error
# into a `ConfigError` naming the file, refuse unknown or missing fields, and check every
# field's type, naming the field. Save
# the file (Ctrl+S), then run the cell below: it grades that part with the same tests as
# `make test lab2` and shows a score table, one line per test with the reason it failed.
# Run it again after every fix.
#
# It grades the file saved on disk, in a separate process: a bug in your file cannot break
# this notebook, and ■ (interrupt the kernel) stops a check that takes too long.

# %%
check("lab2", "config")

# %% [markdown]
# Now build each summary in order, each with a fresh connection — as each Airflow task
# would open its own:

# %%
from contextlib import closing

try:
    if configs is None:
        raise NotImplementedError("load_config is still a TODO, so there are no configs to build")
    for table in order:
        with closing(services.warehouse()) as build_conn:
            print(f"{table:20} → {ref.build_summary(build_conn, configs[table], 'notebook_run_1')} rows")
    query("SELECT * FROM analytics.nps_summary_monthly ORDER BY month")
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n(write it in {path.name}; `make test lab2` tells you how far you are)")

# %% [markdown]
# ### A failing output check
#
# A copy of the monthly config that expects 13 months (a mistake, on purpose), built from
# a dict with `validate_config`. The build must fail, and the table must stay as it was:

# %%
import copy

bad_raw = copy.deepcopy(monthly_raw)
bad_raw["output_check"][0] = {"sql": "SELECT COUNT(*) FROM {table}", "equals": 13}
try:
    bad = ref.validate_config(bad_raw, "copy of nps_summary_monthly.yaml")
    with closing(services.warehouse()) as build_conn:
        ref.build_summary(build_conn, bad, "notebook_run_2")
    print("built?! the check should have failed")
except ref.CheckFailed as failed:
    print("CheckFailed:", failed)
except NotImplementedError as todo:
    print(f"Not written yet — {todo}")

# %%
try:
    query("SELECT COUNT(*) AS months, MIN(nps), MAX(nps) FROM analytics.nps_summary_monthly")
    query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' ORDER BY 1")
except psycopg2.Error as error:
    conn.rollback()
    print("no summary yet:", error.diag.message_primary)

# %% [markdown]
# Still 12 months with the same values, and only the four summaries in `analytics`: no
# `…__tmp_…` table left behind. (The course's fixed name `temp_<table>` stayed after a
# failed check, and the next run crashed on "already exists".)
#
# ## 6. A view on the summary
#
# Analysts like to put views on summaries. The swap drops the old table — and a view
# depends on it. The course wrote `DROP TABLE … CASCADE`, which **silently drops the view
# too**. Watch what `CASCADE` would do (inside a transaction we roll back):

# %%
with conn.cursor() as cur:
    cur.execute("SELECT to_regclass('analytics.nps_summary_monthly')")
    have_summary = cur.fetchone()[0] is not None
conn.rollback()

if have_summary:
    with conn, conn.cursor() as cur:
        cur.execute("CREATE OR REPLACE VIEW analytics.demo_nps_recent AS "
                    "SELECT * FROM analytics.nps_summary_monthly WHERE month >= '2019-07-01'")
    conn.notices.clear()
    with conn.cursor() as cur:
        cur.execute("DROP TABLE analytics.nps_summary_monthly CASCADE")
    print("".join(conn.notices).strip(), "— and nothing else tells you")
    conn.rollback()  # undo: table and view are back
else:
    print("No analytics.nps_summary_monthly yet (build_summary is still a TODO): this section needs it.")

# %% [markdown]
# The reference never uses `CASCADE`. A rebuild now fails **loudly**, and because the swap
# is one transaction, the old table and the view both survive:

# %%
if have_summary:
    try:
        with closing(services.warehouse()) as build_conn:
            ref.build_summary(build_conn, configs["nps_summary_monthly"], "notebook_run_3")
        print("built?! the swap should have failed")
    except psycopg2.Error as error:
        print("swap failed:", error.diag.message_primary, "\n  ", error.diag.message_detail)
    except NotImplementedError as todo:
        print(f"Not written yet — {todo}")
    query("SELECT COUNT(*) AS rows_in_view FROM analytics.demo_nps_recent")

# %% [markdown]
# A failed task is something you see and fix: if the view must follow the summary, drop it
# in the config's `pre_sql` and create it again in its `after_sql` — both run in the build's
# one transaction, so no reader ever finds it missing (recreating it in `after_sql` alone
# is not enough: the next swap fails on it again). A vanished view is something you find
# out about from an angry analyst. Drop our demo view:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP VIEW IF EXISTS analytics.demo_nps_recent")

# %% [markdown]
# ### ✏️ Your turn: part 2 — build
#
# Write `run_checks` and `build_summary` in
# [your starter](../labs/lab2_nps_summary/lab2_nps_summary.py):
# input checks, then `CREATE TABLE … AS` under `temp_name(...)`, output checks on it, then
# the swap in **one transaction** (no `CASCADE`), and the temp table dropped on any
# failure. The tests break the input, the output, the main SQL and the swap on purpose, as
# sections 4 to 6 did, and run two builds at once. Save (Ctrl+S), then run the cell below.

# %%
check("lab2", "build")

# %% [markdown]
# ## 7. The whole DAG in Airflow
#
# The DAG `lab2_nps_summary` makes one task per config, wired by `depends_on`. It finds the
# warehouse through the Connection `warehouse`, from the environment `stack.ensure`
# exported. `DagBag` parses the file as the DAG processor does.

# %%
import warnings

from airflow.dag_processing.dagbag import DagBag

warnings.filterwarnings("ignore", message=".*starlette.testclient")  # noise from a dependency
bag = DagBag(dag_folder=str(path))
print("import errors:", bag.import_errors or "none")
dag = bag.dags.get("lab2_nps_summary")  # None when the file does not import (a TODO in load_config, say)
for task in dag.tasks if dag else []:
    task.retries = 0  # a failing task would otherwise wait out retry_delay (5 minutes)
    print(f"{task.task_id:26} after {sorted(task.upstream_task_ids) or '—'}")

# %% [markdown]
# `dag.test()` runs one DAG run in this process (the first call takes several seconds):

# %%
dag_run = dag.test() if dag else None
print("run:", dag_run.state if dag_run else "none: the DAG did not import")
for ti in sorted(dag_run.get_task_instances(), key=lambda ti: ti.task_id) if dag_run else []:
    print(f"  {ti.task_id:26} {ti.state}")

# %%
if dag_run and dag_run.state == "success":
    query("""
        SELECT 'nps_summary_daily' AS summary, COUNT(*) AS rows FROM analytics.nps_summary_daily
        UNION ALL SELECT 'nps_summary_monthly', COUNT(*) FROM analytics.nps_summary_monthly
        UNION ALL SELECT 'mau_summary', COUNT(*) FROM analytics.mau_summary
        UNION ALL SELECT 'channel_summary', COUNT(*) FROM analytics.channel_summary""")
    query("SELECT * FROM analytics.mau_summary ORDER BY month")
else:
    print("The run failed: a part is still a TODO (or has a bug). `make test lab2` says which, and why.")

# %% [markdown]
# ### ✏️ Your turn: part 3 — the DAG
#
# Nothing new to write: the DAG is given (one task per config, wired by `depends_on`). Its
# test runs the whole DAG under `dag.test()` and checks that every summary gets built, so
# it passes once parts 1 and 2 do. Run the cell below to see them work together.

# %%
check("lab2", "dag")

# %% [markdown]
# ## 8. Where this leads: dbt
#
# What we built — SELECTs in files, dependencies between them, tests on the results — is
# the core idea of **dbt** (data build tool). In dbt each summary is a *model*: a `.sql`
# file holding just the SELECT; `{{ ref('nps_summary_daily') }}` inside it declares the
# dependency, and dbt works out the build order. Checks live in YAML next to the model:
# `dbt test` runs built-in tests such as `unique`, `not_null` and `accepted_values`
# (plus your own SQL), and `dbt build` builds and tests model by model. Airflow then just
# schedules `dbt build`. Our config-driven DAG is a small version of the same thing — good
# for a handful of summaries; past that, reach for dbt.
#
# ## 9. Airflow 2 → 3: idioms met here
#
# The course's Build_Summary DAG was written for Airflow 2:
#
# | Airflow 2 (course) | Airflow 3.3 |
# |---|---|
# | `DAG(..., schedule_interval="30 6 * * *")` | `schedule="30 6 * * *"` (the old name is a `TypeError`) |
# | `PythonOperator(python_callable=f, provide_context=True, params={...})` | `@task` functions; read the context with `get_current_context()` (`provide_context` is a `TypeError`) |
# | `context["execution_date"]`, `{{ execution_date }}` | `context["logical_date"]` or `context["run_id"]` — our temp names use `run_id` |
# | `from airflow.operators.python import PythonOperator` | `from airflow.sdk import dag, task` (or `airflow.providers.standard.operators.python`) |
# | `from airflow.hooks.postgres_hook import PostgresHook` | `from airflow.providers.postgres.hooks.postgres import PostgresHook` |
# | reading config files at the top of the DAG file | still fine: cheap and local (`discover()` does it, each file capped at 64 KB) — but never a top-level `Variable.get` or a database query: they run on every parse |
#
# The reference's tasks, in full: one builds a summary, the other stands in for a broken
# config and fails with the reason. Each is one `@task` function, given its id per config
# with `.override(task_id=...)`.
#
# ```python
# @task
# def build_table(table: str) -> int:
#     config = load_config(CONFIG_DIR / f"{table}.yaml")
#     run_id = get_current_context()["run_id"]
#     with closing(warehouse_connection()) as conn:
#         return build_summary(conn, config, run_id)
#
#
# @task(retries=0)  # a broken file does not fix itself in five minutes
# def config_error(name: str) -> None:
#     _, broken = discover()  # the reason as of now (a task argument would be a Jinja template)
#     raise ConfigError(broken.get(name, f"{name}: loads now; the next parse of the DAG file builds it"))
#
# # in the DAG, for each name in build order:
# task_ = config_error if name in broken else build_table
# tasks[name] = task_.override(task_id=f"build_{name}")(name)
# ```
#
# ## 10. Now you
#
# Your turn: **[`labs/lab2_nps_summary/README.md`](../labs/lab2_nps_summary/README.md)** has the task, the
# points and hints. You write `load_config`, the field checks of `validate_config`,
# `run_checks` and `build_summary` — the pieces you just watched. Then save your file
# (Ctrl+S) and grade the whole lab:

# %%
check("lab2")

# %% [markdown]
# Each failing line of the score table names the concept it tests.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab2`.
# When you are done, `make submit lab2` makes the zip to hand in.
#
# Cleaning up this lesson's demo table and connections:

# %%
with conn, conn.cursor() as cur:
    cur.execute("DROP TABLE IF EXISTS demo_nps_monthly")
naive.close()
conn.close()
print("clean")

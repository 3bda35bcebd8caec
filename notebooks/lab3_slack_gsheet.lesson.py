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
# # Lab 3 — Slack alerts, and Google Sheets ↔ the warehouse (슬랙 연동 + 구글 시트 연동)
#
# A pipeline nobody hears from is a pipeline nobody trusts. This lesson connects Airflow to
# two services every team uses: **Slack**, so that a failed task tells someone, and
# **Google Sheets**, where the marketing team keeps its budget and where people who never
# open a SQL client read their numbers. You will see how both are set up for real (a
# webhook, a service account), how the kit stands in for them on your machine, what
# Airflow 3 hands a failure callback — and then we break things on purpose and watch what
# each failure leaves behind.
#
# **This lab's files:** [the task (README)](../labs/lab3_slack_gsheet/README.md) ·
# your starters [common/sheets.py](../labs/lab3_slack_gsheet/common/sheets.py),
# [common/alerts.py](../labs/lab3_slack_gsheet/common/alerts.py),
# [lab3_sheet_to_warehouse.py](../labs/lab3_slack_gsheet/lab3_sheet_to_warehouse.py) and
# [lab3_sql_to_sheet.py](../labs/lab3_slack_gsheet/lab3_sql_to_sheet.py) ·
# check your work with the `check(...)` cells below, or `make test lab3` in a terminal.
#
# Run the cells from top to bottom. Everything talks to services on your own machine:
# nothing here needs a Slack workspace or a Google account.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab3")
print(services.describe())

# %% [markdown]
# As in labs 1 and 2: `show(rows, headers)` draws rows as a table, and `query(sql)` runs a
# `SELECT` on the warehouse and shows the result. `HINT` is what the cells print when a
# part of the lab is still yours to write.

# %%
import warnings

import psycopg2

from labkit.notebooks import querier, show
from labkit.paths import ROOT

warnings.filterwarnings("ignore", message=".*starlette.testclient")  # noise from a dependency
conn = services.warehouse()  # a psycopg2 connection to the warehouse (PostgreSQL)
query = querier(conn)
HINT = "(write it in labs/lab3_slack_gsheet/; `make test lab3` tells you how far you are)"


# %% [markdown]
# ## 1. Webhooks: how a pipeline talks to Slack (웹훅)
#
# An **incoming webhook** is a URL that turns an HTTP `POST` into a message in one Slack
# channel. No login, no SDK: whoever knows the URL can post. So **the URL is the secret**.
#
# ### For real, step by step
#
# 1. Go to <https://api.slack.com/apps> → **Create New App** → *From scratch*; name it
#    (`airflow-alerts`) and pick your workspace.
# 2. In the app, **Features → Incoming Webhooks** → switch *Activate Incoming Webhooks* on.
# 3. **Add New Webhook to Workspace** → choose the channel (`#data-alerts`) → *Allow*.
#    (In many companies a workspace admin has to approve the app first.)
# 4. Copy the webhook URL. It has three parts after Slack's address:
#
# | part | example | what it is |
# |---|---|---|
# | `https://hooks.slack.com/services` | | Slack's webhook endpoint, the same for everyone |
# | `T…` | `T00000000` | your workspace (team) id |
# | `B…` | `B00000000` | this webhook's id |
# | 24 characters | `XXXXXXXXXXXXXXXXXXXXXXXX` | **the secret** |
#
# 5. Try it from a terminal — Slack answers `ok` and the message appears:
#
# ```bash
# curl -X POST -H 'Content-type: application/json' --data '{"text": "Hello, World!"}' \
#      https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
# ```
#
# 6. Store it in Airflow as a **Connection**, never a Variable: *Admin → Connections → +*,
#    Connection Id `slack_alerts`, Connection Type **Slack Incoming Webhook** (from the
#    package `apache-airflow-providers-slack`), Host `https://hooks.slack.com/services`,
#    **Password** `T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`. From the command line:
#
# ```bash
# airflow connections add slack_alerts --conn-type slackwebhook \
#     --conn-host https://hooks.slack.com/services --conn-password 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'
# ```
#
# Why not a Variable? The course saved `T…/B…/…` in a Variable named `slack_url`. Airflow
# hides a Variable's value only when its *name* looks secret (`password`, `secret`,
# `token`, `api_key`…): `slack_url` is shown in plain text in the UI, in
# `airflow variables export` and in any log line that prints it. A connection's
# **password** is always masked (`***`) in the UI
# and in task logs, and `SlackWebhookHook` knows how to read it. If a webhook URL leaks
# anyway (a commit, a screenshot), remove that webhook on the app's *Incoming Webhooks*
# page and add a new one: the old URL stops working.
#
# ### The kit's stand-in
#
# `stack.ensure` started a local receiver that answers like Slack (`services.slack`) and
# defined the connection `slack_alerts` for it — same type, the receiver's address as
# host, a random `T…/B…/…` as password. Here it is as a hook sees it (this imports
# Airflow: a few seconds), with the password left out:

# %%
from airflow.sdk import BaseHook

slack_conn = BaseHook.get_connection("slack_alerts")
print("conn_type:", slack_conn.conn_type)
print("host:     ", slack_conn.host)
print("password: ", f"<{len(slack_conn.password)} characters, hidden>")

# %% [markdown]
# `SlackWebhookHook` builds the URL as *host* + `/` + *password* and posts JSON to it.
# The same call posts to real Slack when the connection holds a real webhook —
# nothing in the code knows it is talking to a fake. Always give it a `timeout`:

# %%
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

SlackWebhookHook(slack_webhook_conn_id="slack_alerts", timeout=10).send(text="Hello from the lab 3 notebook :wave:")
services.slack  # the receiver shows what a channel would show

# %% [markdown]
# The lab's `common/alerts.py` wraps exactly that call in `send_to_slack`, which every DAG's
# failure callback uses. We load it the way the DAG files import it. In the **student
# edition** this is *your* `labs/lab3_slack_gsheet/common/alerts.py`, and cells say which
# parts are still TODO.

# %%
from labkit.edition import lesson_module

alerts, alerts_path = lesson_module("lab3", "common/alerts.py")
print("running", alerts_path.relative_to(ROOT))
try:
    print("sent:", alerts.send_to_slack("Hello again, through common.alerts.send_to_slack"))
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# ## 2. Service accounts: how a pipeline reads a Google Sheet (서비스 어카운트)
#
# A DAG cannot click "Sign in with Google". It uses a **service account**: a Google
# identity for a program, with an e-mail address (`…@<project>.iam.gserviceaccount.com`)
# and a private key. A spreadsheet is shared with that e-mail like with a colleague.
#
# ### For real, step by step
#
# 1. Open <https://console.cloud.google.com/> and create (or pick) a project.
# 2. **APIs & Services → Library**: enable the **Google Sheets API** and the **Google
#    Drive API** (gspread's `open("Marketing plan 2019")` finds a spreadsheet *by title*
#    through Drive; with the Sheets API alone you must use `open_by_key(<id>)`).
# 3. **IAM & Admin → Service Accounts → Create service account**, e.g. `airflow-etl`.
#    It needs no project role for Sheets: access comes from sharing.
# 4. Open the account → **Keys → Add key → Create new key → JSON**. A file downloads: that
#    file *is* the account — treat it like a password. (Many organisations block key
#    creation with the policy `iam.disableServiceAccountKeyCreation`; an admin then has to
#    allow it for the project, or set up keyless workload identity instead.)
# 5. Open the spreadsheet → **Share** → paste the account's e-mail (`client_email` in the
#    file) → *Viewer* to read, *Editor* to write (the SQL → Sheet DAG writes). A sheet not
#    shared with the account is not "forbidden", it is invisible: `SpreadsheetNotFound`.
# 6. In Airflow: connection `google_sheets`, type **Google Cloud**, field *Keyfile JSON*
#    (extra `keyfile_dict`): paste the whole file. Airflow masks extras with names like
#    `keyfile_dict` in the UI and in task logs.
#
# The course put the JSON in a Variable (`google_sheet_access_token`) and then wrote it to a
# fixed file path on every run, never deleted: anyone who could read that disk held the
# key. The lab's `common/sheets.py` parses it in memory and hands gspread a dict.
#
# ### The kit's stand-in
#
# The kit's fake Google Sheets (`services.sheets`) made its own key, shaped exactly like
# Google's file, and put it in `google_sheets`. Its fields, the secret ones hidden:

# %%
import json

google_extra = BaseHook.get_connection("google_sheets").extra_dejson
key = json.loads(google_extra["keyfile_dict"])
for field, value in key.items():
    print(f"{field:28} {'<hidden>' if field in ('private_key', 'private_key_id') else value}")

# %% [markdown]
# Two things point the same code at the fake instead of Google:
#
# - the key's `token_uri` is the fake's `/token`: google-auth signs a JWT with the private
#   key and trades it there for an access token, exactly as it would at Google;
# - the connection's extra has one more field, `api_url`, and `common/sheets.py` sends
#   every `https://sheets.googleapis.com/…` and `https://www.googleapis.com/…` call there.
#
# It is the same trick as S3 in this kit: the `aws_default` connection's `endpoint_url`
# sends `S3Hook` to moto instead of AWS. With a real key and no `api_url`, nothing else
# changes.

# %%
print("google_sheets api_url:     ", google_extra.get("api_url"))
print("aws_default endpoint_url:  ", BaseHook.get_connection("aws_default").extra_dejson.get("endpoint_url"))

# %% [markdown]
# `sheets_client()` reads the connection, checks the key (`service_account_info`, yours to
# write) and returns a gspread client. Until that exists, the notebook builds one straight
# from the fake's key so the lesson can go on:

# %%
sheets, _ = lesson_module("lab3", "common/sheets.py")
try:
    gc = sheets.sheets_client()
    print("a gspread client for", gc.http_client.auth.service_account_email)
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")
    gc = sheets.client_from_info(services.sheets.service_account_info(), services.sheets.url)

# %% [markdown]
# The marketing team's tab, as gspread reads it — every cell a string, as people typed it:
# `$2,000`, `$11500`, `5.32%`.

# %%
budget_rows = gc.open("Marketing plan 2019").worksheet("channel_budget").get_all_values()
print(len(budget_rows) - 1, "rows under the header")
show(budget_rows[1:7], budget_rows[0])

# %% [markdown]
# What a broken key should produce: a message that names the connection and the problem
# — and never quotes the key, because a traceback lands in the task log. Three keys
# people really paste: a truncated one, an OAuth *client* file (the wrong kind of
# credential), and one without its private key:

# %%
BAD_KEYS = {
    "truncated": '{"type": "service_account", "project_id": "my-project", ',
    "OAuth client": json.dumps({"installed": {"client_id": "123-abc.apps.googleusercontent.com", "client_secret": "XXXX"}}),
    "no private_key": json.dumps({"type": "service_account", "client_email": "airflow-etl@my-project.iam.gserviceaccount.com",
                                  "token_uri": "https://oauth2.googleapis.com/token"}),
}
for label, raw in BAD_KEYS.items():
    try:
        sheets.service_account_info(raw)
        print(f"{label:15} → accepted?! it should be refused")
    except sheets.ServiceAccountError as error:
        print(f"{label:15} → {error}")
    except NotImplementedError as todo:
        print(f"Not written yet — {todo}\n{HINT}")
        break

# %% [markdown]
# ## 3. Callbacks in Airflow 3 (콜백)
#
# A **callback** is a function Airflow calls when a task instance changes state:
#
# | argument | called when |
# |---|---|
# | `on_failure_callback` | the task failed for good (no retries left) |
# | `on_retry_callback` | the task failed and will be retried |
# | `on_success_callback` | the task succeeded |
# | `on_execute_callback` / `on_skipped_callback` | just before it runs / when it is skipped |
#
# Put them in the DAG's `default_args` and every task gets them; each also accepts a list
# of functions. Each is called with the **context**, the same dict a task reads with
# `get_current_context()`. What an alert needs from it:
#
# | key | what |
# |---|---|
# | `ti` | the task instance: `ti.dag_id`, `ti.task_id`, `ti.try_number`, `ti.log_url` |
# | `exception` | what the task raised (failure and retry callbacks) |
# | `run_id` | which DAG run (`scheduled__2026-03-14T07:00:00+00:00`, `manual__…`) |
# | `logical_date` | the date the run is for (Airflow 2 called it `execution_date`) |
# | `task` | the operator: `task.retries` says how many tries there will be |
#
# A DAG can have callbacks too — `@dag(on_failure_callback=…)`, called **once per failed
# run** with `reason` in the context instead of an `exception`. In Airflow 3 task callbacks
# run in the worker right after the task; DAG callbacks run in the DAG processor.
#
# Two rules: **a callback never changes the task's outcome** — if it raises, Airflow logs
# `Failed to run task callback` and carries on — and it runs *inside* the failure, so it
# must be quick and must not fail louder than the task.
#
# Let's watch. A small demo DAG goes into this lesson's DAGs folder (`dag.test()` runs DAGs
# from there). Its `remember` callback keeps each context it receives; its second task
# fails, is retried at once, and fails again. A provider alternative rides along:
# `SlackWebhookNotifier`, a ready-made callback with a templated message.

# %%
DEMO_DAG = '''
"""Lesson demo: what callbacks receive. Written by notebooks/lab3_slack_gsheet.ipynb."""
from datetime import timedelta

import pendulum

from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier
from airflow.sdk import dag, task


def remember(context):
    remember.contexts.append(context)


remember.contexts = []


def broken(context):
    raise RuntimeError("a bug in a callback")


notify = SlackWebhookNotifier(
    slack_webhook_conn_id="slack_alerts",
    text=":warning: {{ ti.dag_id }}.{{ ti.task_id }} failed on try {{ ti.try_number }}: {{ exception }}",
    timeout=10,
)


@dag(
    dag_id="lab3_demo_callbacks",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    schedule=None,
    default_args={
        "retries": 1,
        "retry_delay": timedelta(0),  # retried at once (the lab's DAGs wait 3 minutes)
        "on_retry_callback": remember,
        "on_failure_callback": [remember, notify],
    },
    on_failure_callback=remember,  # DAG level: once per failed run
)
def lab3_demo_callbacks():
    @task(on_success_callback=broken)
    def read_sheet() -> int:
        return 7

    @task
    def load(row: int) -> None:
        raise ValueError(f"row {row}, column spend: '12k' is not a number")

    load(read_sheet())


lab3_demo_callbacks()
'''
demo_path = services.airflow_home.dags_folder / "lab3_demo_callbacks.py"
demo_path.write_text(DEMO_DAG)
print("written to", demo_path.relative_to(services.airflow_home.path))

# %% [markdown]
# `DagBag` parses the file as the DAG processor does; `dag.test()` runs one DAG run in this
# process — scheduler, executor and worker in one (the first call takes several seconds to
# start up). Its log is long — a full traceback per failure — so `test_quietly` keeps only
# the log's error lines:

# %%
import contextlib
import io
import re

import pendulum
from airflow.dag_processing.dagbag import DagBag


def test_quietly(dag, logical_date):
    """dag.test(), printing only the error lines of its log."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        dag_run = dag.test(logical_date=logical_date)
    for line in log.getvalue().splitlines():
        error = re.search(r"\[error\s*\]\s*(.*?)\s*(loc=\S+)?$", re.sub(r"\x1b\[[0-9;]*m", "", line))
        if error:
            print("log: ERROR", " ".join(error.group(1).split())[:300])
    return dag_run


bag = DagBag(dag_folder=str(demo_path))
print("import errors:", bag.import_errors or "none")
demo = bag.get_dag("lab3_demo_callbacks")
services.slack.clear()  # an empty channel for this demo
demo_run = test_quietly(demo, pendulum.datetime(2026, 3, 14, 7, tz="UTC"))

# %% [markdown]
# In that log: `broken` raised in `read_sheet`'s success callback — and `read_sheet` still
# succeeded. Then `load` failed, twice. The run, and what `remember` received:

# %%
print("run:", demo_run.state, "·", demo_run.run_id)
for ti in sorted(demo_run.get_task_instances(), key=lambda ti: ti.task_id):
    print(f"  {ti.task_id:11} {ti.state}")

contexts = demo.on_failure_callback.contexts  # the DAG-level callback is `remember` itself
show([(n, c["ti"].task_id, c["ti"].try_number, repr(c.get("exception")), c.get("reason"), c["logical_date"])
      for n, c in enumerate(contexts, start=1)],
     ["call", "ti.task_id", "ti.try_number", "exception", "reason", "logical_date"])
print("ti.log_url of the last try:", contexts[1]["ti"].log_url)

# %% [markdown]
# Call 1 is `on_retry_callback` (try 1), call 2 `on_failure_callback` (try 2), call 3 the
# DAG-level callback: `reason` instead of an `exception`. The notifier posted on the final
# failure only:

# %%
services.slack

# %% [markdown]
# `SlackWebhookNotifier` is a fine choice for a quick alert: no code, a template, a timeout.
# The lab writes its own callback instead because it wants more control: a fixed set of
# facts in every message, a shortened error, and — when Slack itself fails — one clear log
# line instead of a second traceback (the notifier raises; Airflow then logs *Failed to run
# task callback*).
#
# Here is the lab's message for the same failure — `alert_text(context)`, called on the
# context Airflow handed our callback:

# %%
try:
    print(alerts.alert_text(contexts[1], "failed"))
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# And this is all a DAG needs to alert Slack (both lab DAGs have these two lines to write):
#
# ```python
# from common.alerts import task_failure_alert, task_retry_alert
#
# @dag(..., default_args={
#     "retries": 1,
#     "retry_delay": timedelta(minutes=3),
#     "on_failure_callback": task_failure_alert,
#     "on_retry_callback": task_retry_alert,
# })
# ```
#
# ## 4. The round trip, part 1: Sheet → S3 → warehouse (구글 시트 → 웨어하우스)
#
# `lab3_sheet_to_warehouse` has two tasks:
#
# 1. **extract**: read the tab, check the header, clean every cell into a number — or
#    refuse the whole sheet naming the row and column to fix — and write a CSV to S3;
# 2. **load**: read that CSV back and `COPY` it into `public.channel_budget`, replacing the
#    old rows in **one transaction** (lab 1's lesson).
#
# Why S3 in between? It keeps every day's file, so a load can be replayed or audited, and
# it is how Redshift loads data (`COPY … FROM 's3://…'`). On PostgreSQL the last step is
# `COPY … FROM STDIN`, fed with the object read from S3.
#
# First the cleaning. Money and rates must arrive exactly as typed, so the numbers are
# `Decimal`s, never floats:

# %%
from decimal import Decimal

to_warehouse, to_warehouse_path = lesson_module("lab3", "lab3_sheet_to_warehouse.py")
print("float:  ", 5.32 / 100, "   Decimal:", Decimal("5.32") / 100)
for typed in ("$12,000", "11,873.50", "5.32%", "12k"):
    try:
        print(f"{typed!r:12} → {to_warehouse.clean_number(typed)!r}")
    except ValueError as error:
        print(f"{typed!r:12} → ValueError: {error}")
    except NotImplementedError as todo:
        print(f"Not written yet — {todo}\n{HINT}")
        break

# %% [markdown]
# Now the whole DAG. Two helpers for the rest of the lesson:
#
# - `load_dag` parses a DAG file, turns retries off (a retry would wait out the DAG's
#   3-minute `retry_delay`) and gives every task one more failure callback — the
#   notebook's own, keeping the exception so we can print it;
# - `run` runs it for one logical date — the notebook's
#   `airflow dags test lab3_sheet_to_warehouse 2026-03-14` — and says how each task ended.

# %%
DAY = pendulum.datetime(2026, 3, 14, 7, tz="UTC")  # the morning run of 14 March 2026
failures = {}  # task id → the exception it failed with, filled by record_failure


def record_failure(context):
    failures[context["ti"].task_id] = context["exception"]


def load_dag(path, dag_id):
    bag = DagBag(dag_folder=str(path))
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag(dag_id)
    for task in dag.tasks:
        task.retries = 0
        callbacks = task.on_failure_callback or []
        task.on_failure_callback = [*(callbacks if isinstance(callbacks, list) else [callbacks]), record_failure]
    return dag


def run(dag, logical_date=DAY):
    failures.clear()
    dag_run = test_quietly(dag, logical_date)
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    print(f"{dag.dag_id}: {dag_run.state} —", ", ".join(f"{task}={state}" for task, state in sorted(states.items())))
    for task, error in failures.items():
        if isinstance(error, NotImplementedError):
            print(f"Not written yet — {error}\n{HINT}")
        else:
            name = type(error).__name__
            print(f"{task} failed with", error if str(error).startswith(name) else f"{name}: {error}")
    return dag_run.state == "success"


to_warehouse_dag = load_dag(to_warehouse_path, "lab3_sheet_to_warehouse")
loaded = run(to_warehouse_dag)

# %% [markdown]
# The table, and a check against the kit's own, independent reading of the same sheet
# (`labkit.data.budget.expected_rows`):

# %%
from labkit.data import budget

if loaded:
    query("SELECT * FROM public.channel_budget ORDER BY month, channel LIMIT 6")
    with conn.cursor() as cur:
        cur.execute("SELECT month, channel, budget, spend, conversion_rate FROM public.channel_budget ORDER BY month, channel")
        in_table = cur.fetchall()
    conn.rollback()
    expected = sorted(budget.expected_rows())
    print(f"{len(in_table)} rows;", "exactly the sheet ✓" if in_table == expected else "NOT what the sheet says ✗")
else:
    print("No table yet: the run failed (see above).")

# %% [markdown]
# And the file in S3 that the load read — one object per day, so replaying a day
# overwrites that day only:

# %%
from airflow.providers.amazon.aws.hooks.s3 import S3Hook

s3 = S3Hook(aws_conn_id="aws_default")
if s3.check_for_bucket(to_warehouse.BUCKET):
    for object_key in s3.list_keys(bucket_name=to_warehouse.BUCKET):
        print(f"s3://{to_warehouse.BUCKET}/{object_key}")
    csv_text = s3.read_key(to_warehouse.s3_key(DAY), bucket_name=to_warehouse.BUCKET)
    print("\n".join(csv_text.splitlines()[:5]), "\n…")
else:
    print("No bucket yet: extract has not written a CSV.")

# %% [markdown]
# `$2,000` became `2000`, `5.32%` became `0.0532`. The file carries a header row: the
# course's Redshift `COPY … IGNOREHEADER 1` becomes `COPY … WITH (FORMAT csv, HEADER true)`.

# %% [markdown]
# ### ✏️ Your turn: part 2 — Sheet → warehouse
#
# The lab has four graded parts, numbered as in the README's points table; this lesson
# meets them in a different order. Part 2 first, because both DAGs need a Sheets client:
#
# 1. `service_account_info` in [common/sheets.py](../labs/lab3_slack_gsheet/common/sheets.py) (section 2);
# 2. `clean_number`, `clean_row`, `validate`, then `replace_table` (one transaction) in
#    [lab3_sheet_to_warehouse.py](../labs/lab3_slack_gsheet/lab3_sheet_to_warehouse.py) (this section).
#
# The table in the [README](../labs/lab3_slack_gsheet/README.md) says what each must do. Save your files
# (Ctrl+S), then run the cell below: it grades that part with the same tests as
# `make test lab3` and shows a score table, one line per test with the reason it failed.
# Run it again after every fix.
#
# It grades the files saved on disk, in a separate process: a bug in your files cannot break
# this notebook, and ■ (interrupt the kernel) stops a check that takes too long.

# %%
check("lab3", "sheet_to_warehouse")

# %% [markdown]
# ## 5. The round trip, part 2: warehouse → Sheet (웨어하우스 → 구글 시트)
#
# `lab3_sql_to_sheet` publishes lab 2's `analytics.nps_summary_monthly` to the tab
# `nps_monthly` of the spreadsheet "NPS dashboard". That table must exist first. In lab 2
# a DAG builds it with checks and an atomic swap; here we take a shortcut and run the
# same config's `main_sql` once (unless the table is already there, e.g. from lab 2's
# lesson in the same warehouse):

# %%
import yaml

from labkit.data.nps import load_nps
from labkit.paths import DAGS

with conn.cursor() as cur:
    cur.execute("SELECT to_regclass('analytics.nps_summary_monthly')")
    have_summary = cur.fetchone()[0] is not None
conn.rollback()
if not have_summary:
    print("nps:", load_nps(conn), "rows")
    monthly = yaml.safe_load((DAGS / "config" / "summaries" / "nps_summary_monthly.yaml").read_text())
    with conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS analytics")
        cur.execute("CREATE TABLE analytics.nps_summary_monthly AS " + monthly["main_sql"])
query("SELECT month, nps FROM analytics.nps_summary_monthly ORDER BY month LIMIT 3")

# %% [markdown]
# What the tab holds before the first publish (the fake reads cells in-process, as a
# person would see them):

# %%
services.sheets.values("NPS dashboard", "nps_monthly")

# %% [markdown]
# Run the DAG, then look at the tab again. `to_values` turns dates into ISO text and
# `Decimal`s into numbers, written `RAW` so Sheets does not reformat them per locale:

# %%
to_sheet, to_sheet_path = lesson_module("lab3", "lab3_sql_to_sheet.py")
to_sheet_dag = load_dag(to_sheet_path, "lab3_sql_to_sheet")
published = run(to_sheet_dag)
tab = services.sheets.values("NPS dashboard", "nps_monthly")
show(tab[1:], tab[0])

# %% [markdown]
# ## 6. Breaking things on purpose (일부러 망가뜨리기)
#
# ### A bad cell in the sheet
#
# Someone types `12k` into row 7's `spend`. The DAG must refuse the whole sheet, say where
# to look, leave yesterday's table alone — and Slack must hear about it. The table first:

# %%
def table_summary():
    try:
        query("SELECT COUNT(*) AS rows, SUM(budget) AS budget, SUM(spend) AS spend FROM public.channel_budget")
    except psycopg2.Error as error:
        conn.rollback()
        print("no table:", error.diag.message_primary)


table_summary()

# %% [markdown]
# Edit the sheet as a person would (row 7 as Sheets numbers it — the header is row 1 —
# and column D, `spend`), then run the DAG:

# %%
import csv

bad_rows = budget.sheet_rows()
bad_rows[6][3] = "12k"  # row 7, column D
bad_csv = io.StringIO()
csv.writer(bad_csv, lineterminator="\n").writerows(bad_rows)
services.sheets.load_csv(budget.SPREADSHEET, budget.TAB, bad_csv.getvalue())

services.slack.clear()
loaded = run(to_warehouse_dag)

# %% [markdown]
# `extract` failed before writing anything; `load` never ran (`upstream_failed`). The
# table is exactly as before:

# %%
table_summary()

# %% [markdown]
# And the on-call channel:

# %%
if not services.slack.posts:
    print("No alert: the DAG's default_args have no Slack callbacks yet, or alerts.py is still a TODO.")
services.slack

# %% [markdown]
# Everything someone needs to act is in one message: which DAG and task, which run and
# try, the date, the error — naming row 7 and column `spend` — and the link to the log.
#
# ### Slack is down
#
# The alert runs inside a failure. If Slack answers `500`, the alert must not hide the
# task's own error behind its own, and it must not go unnoticed either: one loud log line.

# %%
services.slack.mode = "error"  # the fake answers 500 internal_error, like Slack in an outage
loaded = run(to_warehouse_dag)

# %% [markdown]
# The task's error is still the `SheetFormatError`, and the log says plainly that nobody
# was told — naming the connection, never its URL (the URL *is* the secret). The channel
# shows the post that was lost:

# %%
services.slack

# %% [markdown]
# A Slack that never answers is worse than one that says 500: without a timeout the
# callback would hold the worker forever. `send_to_slack` gives up after `TIMEOUT_SECONDS`
# (10). For the demo we shorten it to 1 second and put the fake in `slow` mode:

# %%
import time

services.slack.mode = "slow"  # holds every request for 20 seconds
saved_timeout, alerts.TIMEOUT_SECONDS = alerts.TIMEOUT_SECONDS, 1
started = time.monotonic()
try:
    print("sent:", alerts.send_to_slack("Is anybody there?"), f"after {time.monotonic() - started:.1f} s")
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")
finally:
    alerts.TIMEOUT_SECONDS = saved_timeout
    services.slack.clear()  # back to mode "ok", and frees the held request

# %% [markdown]
# ### ✏️ Your turn: part 1 — Slack alerts
#
# Write `alert_text`, then `send_to_slack`, in [common/alerts.py](../labs/lab3_slack_gsheet/common/alerts.py):
# the facts of section 3's context in one message, a `timeout`, and when Slack fails, one
# `log.error` line naming the connection (never the URL) and no exception. The tests run a
# one-task DAG that fails on purpose, against a Slack that answers, answers 500, and never
# answers — what you just watched. Save (Ctrl+S), then run the cell below.

# %%
check("lab3", "alerts")

# %% [markdown]
# ### ✏️ Your turn: part 4 — the DAGs' callbacks
#
# In the `default_args` of both [lab3_sheet_to_warehouse.py](../labs/lab3_slack_gsheet/lab3_sheet_to_warehouse.py) and
# [lab3_sql_to_sheet.py](../labs/lab3_slack_gsheet/lab3_sql_to_sheet.py), set `on_failure_callback` and
# `on_retry_callback` to `task_failure_alert` and `task_retry_alert` from `common.alerts`
# (the two lines at the end of section 3). Save both files, then run the cell below.

# %%
check("lab3", "dags")

# %% [markdown]
# Put the good sheet back and reload the table:

# %%
services.sheets.load_csv(budget.SPREADSHEET, budget.TAB, budget.FIXTURE)
loaded = run(to_warehouse_dag)

# %% [markdown]
# ### A failure in the middle of writing the sheet
#
# Google's API fails sometimes: a quota error, a timeout, a deploy. The course's
# SQL → Sheet cleared the tab, then wrote the rows — **two** requests. The fake can make
# any write fail (`services.sheets.fail_write(n)`: the n-th write from now answers 503 and
# changes nothing). Here is the course's way, with the second write failing:

# %%
import gspread

values = to_sheet.to_values(*to_sheet.run_query(conn))
conn.rollback()
worksheet = gc.open("NPS dashboard").worksheet("nps_monthly")

services.sheets.fail_write(2)
try:
    worksheet.clear()  # write 1: succeeds
    worksheet.update(values, "A1", value_input_option="RAW")  # write 2: fails
except gspread.exceptions.APIError as error:
    print("update failed:", error)
print("the dashboard now shows:", services.sheets.values("NPS dashboard", "nps_monthly"))

# %% [markdown]
# An empty dashboard, until someone notices. The lab's `replace_tab` writes the whole tab
# in **one** `values.update`: the new rows, plus blanks over whatever the old content had
# beyond them. Google applies one request entirely or not at all, so readers see the old
# table or the new one, never nothing. Publish again, then make the DAG's write fail:

# %%
published = run(to_sheet_dag)
before = services.sheets.values("NPS dashboard", "nps_monthly")
print(len(before), "rows in the tab")

# %%
if published:
    services.slack.clear()
    services.sheets.fail_write(1)  # the DAG's next write answers 503
    run(to_sheet_dag)
    after = services.sheets.values("NPS dashboard", "nps_monthly")
    print("tab unchanged ✓" if after == before else "tab CHANGED ✗", f"({len(after)} rows)")
else:
    print("Skipped: the DAG cannot publish yet (see the run above), so there is nothing to protect.")

# %%
services.slack

# %% [markdown]
# The task failed loudly (and Slack was told); the tab still holds the last good table.
# The next run — a retry three minutes later — publishes the new one.
#
# Why not write the rows into a new tab and swap it in? That is atomic too (one
# `batchUpdate` deleting the old tab and renaming the new one), but the tab gets a new id:
# links to it (`#gid=…`), charts and other tabs' formulas that point at it all break.
# Overwriting in one request keeps the tab. It does need the whole result in one request —
# fine for a summary; a table too big for that does not belong in a spreadsheet.

# %% [markdown]
# ### ✏️ Your turn: part 3 — warehouse → Sheet
#
# Write `replace_tab` in [lab3_sql_to_sheet.py](../labs/lab3_slack_gsheet/lab3_sql_to_sheet.py): the whole tab
# in **one** `update` — the new rows, plus blanks over the old content beyond them — and
# never `clear()` first. The tests run the DAG (it needs part 2's `service_account_info`
# too), then make each write request fail in turn and check that the tab never loses its
# content. Save (Ctrl+S), then run the cell below.

# %%
check("lab3", "sql_to_sheet")

# %% [markdown]
# ## 7. Airflow 2 → 3: this lab's idioms
#
# | Airflow 2 (course) | Airflow 3.3 |
# |---|---|
# | `from airflow.operators.python import PythonOperator` + `PythonOperator(..., provide_context=True)` | `@task` from `airflow.sdk`; `provide_context` is a `TypeError`, the context comes from `get_current_context()` |
# | `Variable.get("slack_url")` + `requests.post(...)` | Connection `slack_alerts` (Slack Incoming Webhook, secret in the password) + `SlackWebhookHook(..., timeout=…)` |
# | `Variable.get("google_sheet_access_token")` written to a file | Connection `google_sheets`, extra `keyfile_dict`, parsed in memory |
# | `oauth2client.service_account.ServiceAccountCredentials` (deprecated, unmaintained) | google-auth, via `gspread.service_account_from_dict(info)` |
# | `context["execution_date"]`, `{{ execution_date }}` | `context["logical_date"]`, `{{ logical_date }}` / `{{ ds }}` |
# | `S3ToRedshiftOperator` / `COPY … FROM 's3://…' … IGNOREHEADER 1` | on PostgreSQL: read the object with `S3Hook`, `COPY … FROM STDIN WITH (FORMAT csv, HEADER true)` |
# | `airflow dags test Gsheet_to_Redshift 2023-10-10` | still works; in Python: `dag.test(logical_date=…)` |
#
# The context we kept from the demo DAG says it too:

# %%
for name in ("execution_date", "logical_date"):
    print(f"{name!r:16} in the context: {name in contexts[1]}")

# %% [markdown]
# ## 8. Now you
#
# Your turn: **[`labs/lab3_slack_gsheet/README.md`](../labs/lab3_slack_gsheet/README.md)** has the task, the
# points and hints. Work in this order — each step makes the next one testable:
#
# 1. `common/sheets.py` · `service_account_info` — both DAGs need a Sheets client first;
# 2. `lab3_sheet_to_warehouse.py` · `clean_number`, `clean_row`, `validate`, then
#    `replace_table` (one transaction);
# 3. `lab3_sql_to_sheet.py` · `replace_tab` (one request, never `clear()` first);
# 4. `common/alerts.py` · `alert_text`, then `send_to_slack` (timeout, never raise, no URL
#    in the log);
# 5. both DAGs' `default_args`: `on_failure_callback` and `on_retry_callback`.
#
# Then save your files (Ctrl+S) and grade the whole lab:

# %%
check("lab3")

# %% [markdown]
# Each failing line of the score table names the concept it tests. Re-run this notebook
# to watch your own code do what you saw here.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab3`.
# When you are done, `make submit lab3` makes the zip to hand in.
#
# Cleaning up: the demo DAG file and our connection.

# %%
demo_path.unlink(missing_ok=True)
services.slack.clear()
conn.close()
print("clean")

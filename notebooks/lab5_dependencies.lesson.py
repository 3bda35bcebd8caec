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
# # Lab 5 — dependencies between DAGs, branches and trigger rules (DAG간의 의존성 만들기)
#
# Real pipelines come in pieces, often owned by different people: one DAG loads the day's
# orders, another builds the report from them, a third books the revenue. Each piece needs
# the one before it to have finished **for the same day**. This lesson connects DAGs in the
# two ways Airflow offers, then looks inside a DAG: choosing a branch and joining after it,
# cleaning up after a failure without hiding it, and replaying past days without e-mailing
# customers again.
#
# **This lab's files:** [the task (README)](../labs/lab5_dependencies/README.md) ·
# your starters [lab5_orders_pipeline.py](../labs/lab5_dependencies/lab5_orders_pipeline.py),
# [lab5_reactive.py](../labs/lab5_dependencies/lab5_reactive.py),
# [lab5_branching.py](../labs/lab5_dependencies/lab5_branching.py) and
# [lab5_latest_only.py](../labs/lab5_dependencies/lab5_latest_only.py) ·
# check your work with the `check(...)` cells below, or `make test lab5` in a terminal.
#
# The first cell starts a real Airflow 3.3 on your machine: API server, scheduler
# (LocalExecutor, four task slots), DAG processor and triggerer — about 10 s, ~0.8 GB of
# memory. It holds the lab 5 DAGs, all paused, and stops when this kernel stops.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab5")
airflow = services.airflow_server
print(services.describe())

# %% [markdown]
# A few helpers first: thin wrappers around the REST API you met in lab 4, called as the
# admin user. `HINT` is what cells print when a part of the lab is still yours to write.
#
# The first one waits until the DAG processor has read the lab's DAG files. If Airflow
# cannot import one yet (in a starter, a TODO raises while the file is read), `ready(...)`
# says so, and the cells that need that DAG skip their part.

# %%
import time
from datetime import datetime, timedelta, timezone
from graphlib import TopologicalSorter
from pathlib import Path

from labkit.edition import lesson_module
from labkit.grading.loader import LabLoadError
from labkit.notebooks import show

HINT = "(write it in labs/lab5_dependencies/; `make test lab5` tells you how far you are)"
# A starter's TODO raises NotImplementedError; importing a DAG file whose DAG calls one
# turns it into a LabLoadError that says where.
TODO = (NotImplementedError, LabLoadError)
UTC = timezone.utc
LAB5_FILES = {  # each file of the DAGs folder, and the DAGs it defines
    "lab5_orders_report.py": ["lab5_orders_report"],
    "lab5_orders_pipeline.py": ["lab5_orders_pipeline", "lab5_orders_pipeline_and_wait"],
    "lab5_reactive.py": ["lab5_finance_daily", "lab5_finance_at_one"],
    "lab5_branching.py": ["lab5_branching"],
    "lab5_latest_only.py": ["lab5_latest_only"],
}


def call(method, path, **kwargs):
    """One API call; a refusal stops the cell with Airflow's own explanation."""
    response = airflow.api(method, path, **kwargs)
    if response.is_error:
        raise RuntimeError(f"{method} /api/v2/{path} → {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else {}


def parsed_files(timeout=60):
    """Wait until the DAG processor has read every lab 5 file; {file: its import error or None}."""
    deadline = time.monotonic() + timeout
    while True:
        dags = call("GET", "dags", params={"dag_id_pattern": "lab5_", "limit": 100})["dags"]
        listed = {dag["dag_id"] for dag in dags}
        errors = {Path(error["filename"]).name: error["stack_trace"]
                  for error in call("GET", "importErrors", params={"limit": 100})["import_errors"]}
        files = {name: errors.get(name) for name, dag_ids in LAB5_FILES.items()
                 if set(dag_ids) <= listed or name in errors}
        if len(files) == len(LAB5_FILES):
            return files
        if time.monotonic() > deadline:
            raise TimeoutError(f"the DAG processor has not read {sorted(set(LAB5_FILES) - set(files))} yet")
        time.sleep(0.5)


IMPORT_ERRORS = {name: error for name, error in parsed_files().items() if error}


def ready(*dag_ids):
    """True when Airflow imported these DAGs; otherwise say why not, and return False."""
    broken = sorted(name for name, ids in LAB5_FILES.items() if name in IMPORT_ERRORS and set(ids) & set(dag_ids))
    for name in broken:
        print(f"Airflow cannot import {name} yet — {IMPORT_ERRORS[name].strip().splitlines()[-1][:200]}")
    if broken:
        print(f"The rest of this cell is skipped. {HINT}")
    return not broken


print("Airflow has read the lab 5 files:", f"{len(IMPORT_ERRORS)} cannot be imported yet" if IMPORT_ERRORS else "all good")

# %% [markdown]
# Starting runs and waiting for them:
#
# - `unpause(...)` — new DAGs start paused, and a paused DAG's runs wait in `queued` forever;
# - `trigger(dag_id, logical_date, conf)` — start a run, like the UI's *Trigger* button;
# - `wait_for(dag_id, *run_ids)` — poll until the runs have ended, never longer than `timeout`.

# %%
def unpause(*dag_ids):
    for dag_id in dag_ids:
        call("PATCH", f"dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})


def when(run):
    """A run's logical date, as a datetime."""
    return datetime.fromisoformat(run["logical_date"])


def runs_of(dag_id):
    """Every run of a DAG, oldest logical date first."""
    return call("GET", f"dags/{dag_id}/dagRuns", params={"order_by": "logical_date", "limit": 100})["dag_runs"]


def trigger(dag_id, logical_date, conf=None):
    """Start a run for this logical date and return its run id.

    Airflow keeps one run per DAG and logical date, so a second trigger for the same date
    (running a cell twice) would be refused: clear the earlier run instead, so it runs
    again — what TriggerDagRunOperator's reset_dag_run=True does.
    """
    existing = [run["dag_run_id"] for run in runs_of(dag_id) if when(run) == logical_date]
    if existing:
        call("POST", f"dags/{dag_id}/dagRuns/{existing[0]}/clear", json={"dry_run": False})
        return existing[0]
    body = {"logical_date": logical_date.isoformat(), "conf": conf or {}}
    return call("POST", f"dags/{dag_id}/dagRuns", json=body)["dag_run_id"]


def task_states(dag_id, run_id):
    tis = call("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
    return {ti["task_id"]: ti for ti in tis}


def wait_for(dag_id, *run_ids, timeout=180):
    """Poll until every run is success or failed; raise with what we saw if it takes too long.

    A run here takes seconds; the limit is for a busy laptop, where a scheduler with four task
    slots can take minutes to get through a backfill. Polling returns as soon as they end.
    """
    deadline = time.monotonic() + timeout
    while True:
        runs = [call("GET", f"dags/{dag_id}/dagRuns/{run_id}") for run_id in run_ids]
        if all(run["state"] in ("success", "failed") for run in runs):
            return runs
        if time.monotonic() > deadline:
            seen = {run["dag_run_id"]: {t: ti["state"] for t, ti in task_states(dag_id, run["dag_run_id"]).items()}
                    for run in runs}
            raise TimeoutError(f"{dag_id}: runs not finished after {timeout} s: {seen}")
        time.sleep(1)


# %% [markdown]
# And looking at them: `grid(dag_id, run_ids)` shows the state of every task in each run —
# the UI's grid view as a table (rows: the tasks, upstream first; columns: the runs; last
# row: the run itself). It is our picture of each DAG's graph after a run.

# %%
def label(run):
    day = when(run)
    shown = f"{day:%Y-%m-%d %H:%M}" if day.hour else f"{day:%Y-%m-%d}"
    return f"{shown} ({run['run_type']})"


def grid(dag_id, run_ids):
    """One row per task (upstream before downstream), one column per run."""
    tasks = call("GET", f"dags/{dag_id}/tasks")["tasks"]
    upstream = {task["task_id"]: set() for task in tasks}
    for task in tasks:
        for child in task["downstream_task_ids"]:
            upstream[child].add(task["task_id"])
    runs = [call("GET", f"dags/{dag_id}/dagRuns/{run_id}") for run_id in run_ids]
    states = [task_states(dag_id, run_id) for run_id in run_ids]
    rows = [[task, *[(s.get(task) or {}).get("state") or "no status" for s in states]]
            for task in TopologicalSorter(upstream).static_order()]
    show(rows + [["= the run", *[run["state"] for run in runs]]], [dag_id, *map(label, runs)])
    print(f"in the UI (with `make lab`): {airflow.url}/dags/{dag_id}")

# %% [markdown]
# ## 1. Why DAGs depend on each other: explicit or reactive (명시적 트리거 vs 반응형 트리거)
#
# Why not one big DAG? Because the pieces have different owners, schedules and failure
# domains: the report team should not have to edit the orders team's DAG, and a broken
# report should not stop the orders from loading. So the pieces stay separate, and one of
# them has to know about the other:
#
# | | **explicit**: `TriggerDagRunOperator` in A | **reactive**: `ExternalTaskSensor` in B |
# |---|---|---|
# | who knows about the link | A, the upstream: "when I'm done, start B" | B, the downstream: "I wait until A's task is done" |
# | B's schedule | none (`schedule=None`): B runs when A says so | its own, and it must line up with A's |
# | what B receives | a `conf` dict and A's logical date | nothing — only "A's task succeeded for my date" |
# | use it when | **one team owns both** and the order is "A, then B" | **B belongs to someone else**; A need not know B exists |
# | what it costs | nothing, or a task slot while A waits for B | a sensor checking again and again |
#
# (Airflow 3 has a third way, *assets*: B is scheduled when A updates a named dataset. It
# is not part of this course.)
#
# This lab's DAGs, in the order we use them:
#
# | DAG | schedule | what it does |
# |---|---|---|
# | `lab5_orders_report` | none (given) | builds the report for `params.orders_date` |
# | `lab5_orders_pipeline` | `@daily` | `load_orders` → `trigger_report` (starts the report, does not wait) |
# | `lab5_orders_pipeline_and_wait` | none | the same, but waits for the report to finish |
# | `lab5_finance_daily`, `lab5_finance_at_one` | 00:00 and 01:00 daily | a sensor waits for `lab5_orders_pipeline.load_orders`, then `book_revenue` |
# | `lab5_branching` | `@daily` | picks a branch by a Variable and by the weekday, then joins |
# | `lab5_latest_only` | `@daily` | `LatestOnlyOperator`, and trigger rules for cleanup and alerting |

# %% [markdown]
# ## 2. Explicit: A starts B (TriggerDagRunOperator)
#
# The task that starts the report comes from your `trigger_report(wait=...)` in
# `lab5_orders_pipeline.py`. Here are the arguments it sets — the templates (`{{ … }}`) are
# still unrendered: Airflow fills them in when the task runs.

# %%
try:
    pipeline, _ = lesson_module("lab5", "lab5_orders_pipeline.py")
    task = pipeline.trigger_report(wait=True)
    show([(name, repr(getattr(task, name))) for name in ("trigger_dag_id", "conf", "logical_date", "reset_dag_run",
                                                         "wait_for_completion", "poke_interval", "execution_timeout")],
         ["argument", "your trigger_report(wait=True)"])
except TODO as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# Now for real: switch the report and the waiting pipeline on, and start the pipeline for
# **10 March 2026**. `load_orders` runs, then `trigger_report` creates a run of
# `lab5_orders_report` and waits until it has finished (~10 s).

# %%
MARCH_10 = datetime(2026, 3, 10, tzinfo=UTC)
pipeline_run = None
if ready("lab5_orders_report", "lab5_orders_pipeline_and_wait"):
    unpause("lab5_orders_report", "lab5_orders_pipeline_and_wait")
    pipeline_run = trigger("lab5_orders_pipeline_and_wait", MARCH_10)
    wait_for("lab5_orders_pipeline_and_wait", pipeline_run)
    grid("lab5_orders_pipeline_and_wait", [pipeline_run])

# %% [markdown]
# What the report received. The trigger task remembers which run it started (the XCom
# `trigger_run_id`). That run has the type `operator_triggered`, the **pipeline's** logical
# date, and a `conf` whose templates were rendered in the pipeline's task: `{{ ds }}` became
# the day, `{{ run_id }}` the pipeline run that asked. (`triggered_by: operator` is
# Airflow's own note of who created the run; `conf.triggered_by` is ours.)

# %%
report = None
if pipeline_run and task_states("lab5_orders_pipeline_and_wait", pipeline_run)["trigger_report"]["state"] == "success":
    started = call("GET", f"dags/lab5_orders_pipeline_and_wait/dagRuns/{pipeline_run}"
                          "/taskInstances/trigger_report/xcomEntries/trigger_run_id")["value"]
    report = call("GET", f"dags/lab5_orders_report/dagRuns/{started}")
    show([(field, report[field]) for field in ("dag_run_id", "run_type", "triggered_by", "logical_date", "conf")],
         ["field", "the report's run"])
    print("the pipeline's run id:", pipeline_run)

# %% [markdown]
# `wait_for_completion=True` means the trigger task ends **after** the report run does —
# and holds one of the four task slots the whole time:

# %%
if report:
    trigger_task = task_states("lab5_orders_pipeline_and_wait", pipeline_run)["trigger_report"]
    report_end = datetime.fromisoformat(report["end_date"])
    task_end = datetime.fromisoformat(trigger_task["end_date"])
    later = (task_end - report_end).total_seconds()
    show([("the report run ended", f"{report_end:%H:%M:%S.%f}"[:-3]),
          ("trigger_report ended", f"{task_end:%H:%M:%S.%f}"[:-3] + f"  ({later:+.1f} s)"),
          ("trigger_report held its slot for", f"{trigger_task['duration']:.1f} s")], ["", "time (UTC)"])

# %% [markdown]
# **The arguments, and why each matters:**
#
# - `conf={"orders_date": "{{ ds }}", "triggered_by": "{{ run_id }}"}` — the report reads
#   them as `params` (or `dag_run.conf`). Templates, so they are rendered per run: a rerun of
#   last Tuesday sends last Tuesday, not today. (Rendered templates arrive as strings.)
# - `logical_date="{{ logical_date }}"` — the report describes **the same day** as the
#   pipeline. Leave it out and the report's logical date is *now*: rerun the pipeline for
#   10 March and you get a report dated today. (Airflow 2 called it `execution_date`.)
# - `reset_dag_run=True` — Airflow keeps one run per DAG and logical date. Without it, a
#   rerun of the pipeline fails: the report's run for that day already exists. With it,
#   that run is **cleared and runs again** — but it keeps its old `conf`. (Section 4 shows it.)
# - `wait_for_completion=True` — a failed report fails the pipeline too, so someone notices.
#   The price is a task slot held while waiting: ten pipelines waiting on ten reports can
#   fill a small Airflow so that the reports themselves find no slot. Check every
#   `poke_interval` seconds, and give the task an `execution_timeout`: **never wait forever**.
#   `lab5_orders_pipeline` fires and forgets instead: it is done once the report is queued.
#
# **Why the kit tests the waiting variant against a real scheduler:** under `dag.test()`
# there is no scheduler, so the report run is created `queued` and never runs. A trigger
# with `wait_for_completion=True` then waits forever — even its `execution_timeout` does not
# stop it. That is why this lesson (and `make test lab5`) uses a live Airflow for it.

# %% [markdown]
# ### ✏️ Your turn: part 1 — trigger
#
# Write `report_conf` and `trigger_report` in
# [lab5_orders_pipeline.py](../labs/lab5_dependencies/lab5_orders_pipeline.py) (the table in the
# [README](../labs/lab5_dependencies/README.md) says what each must do): the templated `conf`,
# `logical_date="{{ logical_date }}"`, `reset_dag_run=True`, `wait_for_completion=wait`, a
# `poke_interval` and an `execution_timeout`. These tests run the pipeline with
# `dag.test()`; the waiting variant on a real scheduler is part 5, at the end of section 5.
# Save the file (Ctrl+S), then run the cell below: it grades that part with the same tests
# as `make test lab5` and shows a score table, one line per test with the reason it failed.
# Run it again after every fix.
#
# It grades the files saved on disk, in a separate process: a bug in your files cannot
# break this notebook or its Airflow, and ■ (interrupt the kernel) stops a check that takes
# too long.

# %%
check("lab5", "trigger")

# %% [markdown]
# ## 3. Reactive: B waits for A (ExternalTaskSensor)
#
# The finance team's DAG needs the day's orders, loaded by `lab5_orders_pipeline` — a DAG it
# does not own. So it waits: the sensor checks whether `lab5_orders_pipeline.load_orders`
# succeeded **in the run whose logical date equals the sensor's own** (minus
# `execution_delta`). That matching rule is the whole lesson of this section. Your
# `wait_for_orders`:

# %%
try:
    reactive, _ = lesson_module("lab5", "lab5_reactive.py")
    sensor = reactive.wait_for_orders(offset=timedelta(hours=1), timeout=120)
    show([(name, repr(getattr(sensor, name))) for name in ("external_dag_id", "external_task_id", "execution_delta",
                                                           "mode", "poke_interval", "timeout", "failed_states")],
         ["argument", "your wait_for_orders(offset=1 h, timeout=120)"])
except TODO as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# Load the orders of **11 March** first. (Unpausing a scheduled DAG also makes the scheduler
# create its latest scheduled run, today's — `catchup=False` means one run, not one per day
# since `start_date`. We leave those runs aside.)

# %%
MARCH_11 = datetime(2026, 3, 11, tzinfo=UTC)
orders_run = None
if ready("lab5_orders_pipeline", "lab5_orders_report"):
    unpause("lab5_orders_pipeline", "lab5_orders_report")
    orders_run = trigger("lab5_orders_pipeline", MARCH_11)
    wait_for("lab5_orders_pipeline", orders_run)
    grid("lab5_orders_pipeline", [orders_run])

# %% [markdown]
# Now the two finance DAGs for the same day: `lab5_finance_daily` at 00:00 (same logical
# date, no offset) and `lab5_finance_at_one` at **01:00** — its sensor has
# `execution_delta=timedelta(hours=1)`, so it looks for the orders run at 01:00 − 1 h = 00:00.

# %%
if orders_run and ready("lab5_finance_daily", "lab5_finance_at_one"):
    unpause("lab5_finance_daily", "lab5_finance_at_one")
    finance_run = trigger("lab5_finance_daily", MARCH_11)
    at_one_run = trigger("lab5_finance_at_one", MARCH_11 + timedelta(hours=1))
    wait_for("lab5_finance_daily", finance_run)
    wait_for("lab5_finance_at_one", at_one_run)
    grid("lab5_finance_daily", [finance_run])
    grid("lab5_finance_at_one", [at_one_run])

# %% [markdown]
# **The sensor's question, asked by hand.** It is one lookup: "the run of
# `lab5_orders_pipeline` at logical date *X*: did `load_orders` succeed?" Asking it for a few
# cases shows when a sensor would succeed — and when it would wait until its `timeout`
# (we do not wait an hour to watch that happen):

# %%
def sensor_sees(logical_date, delta=timedelta(0)):
    """What an ExternalTaskSensor at `logical_date` with `execution_delta=delta` finds."""
    match = [run for run in runs_of("lab5_orders_pipeline") if when(run) == logical_date - delta]
    if not match:
        return "no run at that logical date → keeps checking until its timeout, then fails"
    return task_states("lab5_orders_pipeline", match[0]["dag_run_id"])["load_orders"]["state"]


cases = [
    ("lab5_finance_daily", MARCH_11, timedelta(0)),
    ("lab5_finance_at_one", MARCH_11 + timedelta(hours=1), timedelta(hours=1)),
    ("at 01:00, offset forgotten", MARCH_11 + timedelta(hours=1), timedelta(0)),
    ("lab5_finance_daily, a day with no orders run", MARCH_11 + timedelta(days=1), timedelta(0)),
]
if orders_run:
    show([(who, f"{at:%m-%d %H:%M}", delta, f"{at - delta:%m-%d %H:%M}", sensor_sees(at, delta))
          for who, at, delta in cases],
         ["sensor in", "its logical date", "execution_delta", "looks for the orders run at", "finds"])

# %% [markdown]
# That is why your sensor takes a `timeout`: a missing upstream run must end as a
# **failure** someone sees (`AirflowSensorTimeout`), not a task that blocks for days. And
# `failed_states=["failed", "upstream_failed"]` fails it at once when the orders *did* run
# and failed — no point waiting an hour for a run that is already over.
#
# **Poke or reschedule (mode).** A sensor in `mode="poke"` (the default) stays running
# between checks and **holds its worker slot** for hours if the upstream is late; a few such
# sensors can block every slot, including the one the upstream needs. With
# `mode="reschedule"` the task ends after each check, shows as `up_for_reschedule` in the
# grid, and the scheduler starts it again after `poke_interval`: the slot is free in
# between. (`deferrable=True` goes further: the triggerer does the waiting.) Use reschedule
# for anything that may wait minutes or more, with a `poke_interval` of minutes, not seconds.
#
# A known Airflow 3.3 bug to recognise: a reschedule-mode sensor with a very short
# `poke_interval` on a busy machine is sometimes failed by the scheduler with *"Executor …
# reported that the task instance … finished with state success, but the task instance's
# state attribute is queued"* ([apache/airflow#71172](https://github.com/apache/airflow/issues/71172)).
# That is the scheduler, not your code: clear the task and it runs again. (This lesson starts
# each finance run after its orders are loaded, so its sensor succeeds on the first check.)
#
# **Different frequencies cannot be matched.** One sensor looks at one logical date. A
# weekly DAG (Mondays 00:00) waiting for a daily DAG finds Monday's run, never "all seven
# days of last week"; a daily DAG waiting for a weekly one finds nothing six days out of
# seven. `execution_date_fn` can return several dates, but then the schedule lives in two
# places; when frequencies differ, trigger explicitly or rethink the split.

# %% [markdown]
# ### ✏️ Your turn: part 2 — sensor
#
# Write `wait_for_orders` in [lab5_reactive.py](../labs/lab5_dependencies/lab5_reactive.py): an
# `ExternalTaskSensor` on `lab5_orders_pipeline.load_orders` with `execution_delta=offset`,
# `mode="reschedule"`, a short `poke_interval`, `timeout=timeout` and `failed_states`. Its
# tests use your pipeline from part 1 as the upstream, so do part 1 first. Save (Ctrl+S),
# then run the cell below.

# %%
check("lab5", "sensor")

# %% [markdown]
# ## 4. Branching: choose what runs, then join (BranchPythonOperator → @task.branch)
#
# A branch task returns the task id(s) to run next; every other **direct** downstream task
# is skipped. `lab5_branching` makes two decisions, with your two functions in
# `lab5_branching.py`:
#
# - `next_by_mode(mode)` — the Variable `lab5_mode`: `"dev"` skips triggering the report, so
#   a development copy of the pipeline never starts production work (the course's example);
# - `summaries_for(logical_date)` — the weekly summary runs on Mondays only.

# %%
try:
    branching, _ = lesson_module("lab5", "lab5_branching.py")
    show([(f"next_by_mode({mode!r})", branching.next_by_mode(mode)) for mode in ("prod", "dev", " DEV ")],
         ["call", "next task"])
    try:
        branching.next_by_mode("staging")
    except ValueError as error:  # an unknown mode must not silently run production work
        print("next_by_mode('staging') → ValueError:", error)
    for day in (datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)):
        print(f"summaries_for({day:%a %Y-%m-%d}) →", branching.summaries_for(day))
except TODO as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# **Why the logical date and not the clock.** The course branched on `datetime.now().hour
# < 12`. That answers "when is this code running?", not "which day is this run about?" —
# rerun a morning's run in the afternoon, or backfill a month at once, and each run takes
# the branch of the moment it happens to run in. A decision made from the logical date gives
# the same answer every time the run is repeated, which is what makes reruns and backfills
# safe.
#
# Set the Variable to `dev` through the API and run the DAG for **Monday 9 March**:

# %%
def set_variable(key, value):
    if airflow.api("POST", "variables", json={"key": key, "value": value}).status_code == 409:
        call("PATCH", f"variables/{key}", json={"key": key, "value": value})  # it exists: update it


MONDAY, TUESDAY = datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
monday_run = None
if ready("lab5_branching"):
    set_variable("lab5_mode", "dev")
    unpause("lab5_branching")
    monday_run = trigger("lab5_branching", MONDAY)
    wait_for("lab5_branching", monday_run)
    grid("lab5_branching", [monday_run])

# %% [markdown]
# `trigger_report` and `skip_trigger` both follow `check_mode`; dev chose `skip_trigger`,
# so `trigger_report` is **skipped**. Monday: `weekly_summary` ran too. (A `failed` branch
# task here means `next_by_mode` or `summaries_for` raised: its log in the UI says why.)
#
# Now `prod` on **Tuesday 10 March**. In prod, `trigger_report` starts the report for 10
# March — whose run already exists since section 2. `reset_dag_run=True` clears it and runs
# it again, instead of failing:

# %%
tuesday_run = None
if monday_run:
    set_variable("lab5_mode", "prod")
    tuesday_run = trigger("lab5_branching", TUESDAY)
    wait_for("lab5_branching", tuesday_run)
    grid("lab5_branching", [monday_run, tuesday_run])

# %%
if report and tuesday_run and task_states("lab5_branching", tuesday_run)["trigger_report"]["state"] == "success":
    [report_again] = wait_for("lab5_orders_report", report["dag_run_id"])
    same_day = [run for run in runs_of("lab5_orders_report") if when(run) == MARCH_10]
    show([("runs of lab5_orders_report at 10 March", len(same_day)),
          ("ended (section 2)", f"{datetime.fromisoformat(report['end_date']):%H:%M:%S}"),
          ("ended (now)", f"{datetime.fromisoformat(report_again['end_date']):%H:%M:%S}"),
          ("conf", report_again["conf"])], ["", "the report's run for 10 March"])

# %% [markdown]
# One run, finished a second time — and its `conf` still names the *pipeline* run of
# section 2, not `lab5_branching`: a reset keeps the old conf. If the new conf matters,
# delete the old run first, or give each trigger its own `trigger_run_id`.
#
# **Why the join needs `none_failed_min_one_success`.** `done` waits for both branches.
# With the default rule, `all_success`, a skipped upstream task is not a success, so `done`
# would be **skipped** too (skips spread downstream) and every run would end without its
# last step. `none_failed_min_one_success` runs the join when nothing failed and at least
# one branch ran — exactly "after whichever branch was taken".

# %% [markdown]
# ### ✏️ Your turn: part 3 — branching
#
# Write `next_by_mode` and `summaries_for`, and set the trigger rule of the join `done`, in
# [lab5_branching.py](../labs/lab5_dependencies/lab5_branching.py): decide from the Variable and from the
# **logical date**, never the clock, and let the join run after whichever branch was taken.
# Save (Ctrl+S), then run the cell below.

# %%
check("lab5", "branching")

# %% [markdown]
# ## 5. Trigger rules and LatestOnly (트리거 규칙, LatestOnlyOperator)
#
# `lab5_latest_only`: `build_tables` → `publish`; `latest_only` → `notify_customers`; then
# two tasks after both `publish` and `notify_customers`:
#
# - `cleanup` with `trigger_rule="all_done"` — runs once its upstream tasks have finished,
#   **failed or not**: scratch files are removed whatever happened;
# - `watcher` with `trigger_rule="one_failed"` — runs only if one of them failed, and
#   raises: it keeps the failure visible.
#
# First a manual run whose conf asks `publish` to fail:

# %%
failing_run = None
if ready("lab5_latest_only"):
    unpause("lab5_latest_only")
    failing_run = trigger("lab5_latest_only", MARCH_10, conf={"fail_publish": True})
    wait_for("lab5_latest_only", failing_run)
    grid("lab5_latest_only", [failing_run])

# %% [markdown]
# `publish` failed, `cleanup` ran anyway (`all_done`), `watcher` ran and failed
# (`one_failed`) — and **the run failed**. A run's state is decided by its *leaves*, the
# tasks with nothing downstream: failed if a leaf failed, success if every leaf succeeded or
# was skipped. That is the course's catch: with `cleanup` as the **only** leaf, its success
# makes the whole run "success" although `publish` failed — no alert, a green grid, and
# nothing published. `watcher` is a second leaf that fails whenever something upstream did.
# (Since Airflow 2.7 a cleanup can also be a *teardown* task, `.as_teardown(...)`, which
# does not decide the run's state.)
# No `latest_only`, `cleanup` or `watcher` rows in your grid? Then this Airflow runs a
# starter's `lab5_latest_only.py`: those tasks are the part you write.

# %% [markdown]
# ### ✏️ Your turn: part 4 — trigger rules
#
# In [lab5_latest_only.py](../labs/lab5_dependencies/lab5_latest_only.py), wire `cleanup` (`all_done`) and
# `watcher` (`one_failed`, and it raises) after both `publish` and `notify_customers`. The
# same TODO line puts `LatestOnlyOperator` before `notify_customers`: write it now too;
# part 5 grades it, after the demo below. Save (Ctrl+S), then run the cell below.

# %%
check("lab5", "trigger_rules")

# %% [markdown]
# **LatestOnly: replay history without redoing its side effects.** A backfill re-runs past
# days, e.g. to rebuild their tables. `LatestOnlyOperator` lets its downstream tasks run only
# in the **newest** scheduled run; in older scheduled or backfill runs it skips them, so
# customers are not e-mailed about 1 March today. Replay two days of March through the API
# (`airflow backfill create` does the same); the scheduler runs them next to today's
# scheduled run, which it created when we unpaused the DAG above (~10 s):

# %%
def replayed():
    """The backfill's runs and the latest scheduled one (everything but our manual run)."""
    return [run["dag_run_id"] for run in runs_of("lab5_latest_only") if run["run_type"] in ("backfill", "scheduled")]


if failing_run:
    backfill = call("POST", "backfills", json={"dag_id": "lab5_latest_only", "from_date": "2026-03-01T00:00:00Z",
                                               "to_date": "2026-03-02T00:00:00Z", "max_active_runs": 2,
                                               "reprocess_behavior": "none"})
    print("backfill", backfill["id"], "from", backfill["from_date"], "to", backfill["to_date"])
    deadline = time.monotonic() + 30
    while len(replayed()) < 3:  # the runs appear within seconds; never wait unbounded
        if time.monotonic() > deadline:
            raise TimeoutError(f"expected two backfill runs and one scheduled run, found {replayed()}")
        time.sleep(1)
    wait_for("lab5_latest_only", *replayed())
    grid("lab5_latest_only", [*replayed(), failing_run])

# %% [markdown]
# `notify_customers` was **skipped** in the two backfill runs and ran in today's scheduled
# run. It also ran in the manual run: LatestOnly never skips a manual run — and `dag.test()`
# makes manual runs, so a test of LatestOnly needs scheduled or backfill runs, and a
# scheduler. `cleanup` succeeded everywhere; `watcher` was skipped wherever nothing failed.

# %% [markdown]
# ### ✏️ Your turn: part 5 — on a real scheduler
#
# Nothing new to write: this part runs your files from parts 1 and 4 on a real scheduler,
# as sections 2 and 5 did. `lab5_orders_pipeline_and_wait` must finish only after its
# report, and LatestOnly must skip `notify_customers` in a backfill but not in the latest
# scheduled run. It starts an Airflow of its own for the tests (about 10 s more), so it
# takes longer than the other checks. Save your files (Ctrl+S), then run the cell below.

# %%
check("lab5", "scheduler")

# %% [markdown]
# ## 6. Airflow 2 → 3, for this lab
#
# | Airflow 2 (the course) | Airflow 3.3 |
# |---|---|
# | `from airflow.operators.trigger_dagrun import TriggerDagRunOperator` | `from airflow.providers.standard.operators.trigger_dagrun import …` (old path: a deprecated alias) |
# | `from airflow.sensors.external_task import ExternalTaskSensor` | `from airflow.providers.standard.sensors.external_task import …` (old path: a deprecated alias) |
# | `TriggerDagRunOperator(execution_date="{{ ds }}")` | `logical_date="{{ logical_date }}"` (`execution_date=` → TypeError) |
# | `{{ execution_date }}`, `context["execution_date"]` | `{{ logical_date }}`, `context["logical_date"]` (the old names are gone) |
# | `execution_date` in the REST API's run fields | `logical_date` (`POST …/dagRuns` rejects `execution_date` with 422) |
# | `BranchPythonOperator(python_callable=…)` | `@task.branch` (or `airflow.providers.standard.operators.python.BranchPythonOperator`) |
# | `from airflow.operators.latest_only import LatestOnlyOperator` | `from airflow.providers.standard.operators.latest_only import …` |
# | `from airflow.utils.trigger_rule import TriggerRule` | `from airflow.sdk import TriggerRule` |
# | `airflow dags backfill -s … -e … DAG` (runs in your terminal) | `airflow backfill create --dag-id … --from-date … --to-date …` or `POST /api/v2/backfills` (the scheduler runs it) |
# | `schedule_interval="@daily"` | `schedule="@daily"` (`schedule_interval=` → TypeError) |
# | `@daily` = a data interval: the run for 10 March starts on 11 March, `{{ ds }}` = 10 March | `@daily` = `CronTriggerTimetable`: the run starts at the tick and its logical date **is** the tick (`[scheduler] create_cron_data_intervals = True` restores the old way) |
# | `catchup=True` by default | `catchup=False` by default |
# | ExternalTaskSensor `execution_delta`, `execution_date_fn` | the same names (`execution_date_fn` now receives the logical date) |

# %% [markdown]
# ## 7. Now you
#
# Your turn: **[`labs/lab5_dependencies/README.md`](../labs/lab5_dependencies/README.md)** has the task, the
# points and hints; each *Your turn* cell above grades one part. With every part written
# and saved (Ctrl+S), grade the whole lab — your DAGs, with `dag.test()` and on a fresh
# Airflow of its own:

# %%
check("lab5")

# %% [markdown]
# Each failing line of the score table names the concept it tests.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab5`.
# When you are done, `make submit lab5` makes the zip to hand in.

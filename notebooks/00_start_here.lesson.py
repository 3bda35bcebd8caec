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
# # Start here — how the kit works, and what Airflow is made of
#
# Welcome. This notebook takes ten minutes, and by the end you'll know how to work through
# a lab and what the parts of Airflow are. Run the cells from top to bottom
# (**Shift+Enter**). Nothing here can break anything.
#
# ## Two commands
#
# | command | what it does |
# |---|---|
# | `make lab` | starts the local services (PostgreSQL, fake APIs, an Airflow home) and opens JupyterLab on these notebooks |
# | `make test lab1` | grades **your** lab 1 (your files in `labs/lab1_dedupe_upsert/`) and prints your score table — the same tests and points as the lesson's `check(...)` cells |
#
# No Docker, no cloud account, no internet needed: every service a lesson talks to runs on
# your machine, on `127.0.0.1`.
#
# ## The loop, for every lab
#
# 1. **Read the lesson**: `notebooks/lab1_dedupe_upsert.ipynb` — the idea, run live.
# 2. **Open the task and your starter** from the links at the top of the lesson: the
#    README (`labs/lab1_dedupe_upsert/README.md`) says what to write, the points and hints;
#    the starter file in `labs/lab1_dedupe_upsert/` is where you write it.
# 3. **Write the `TODO` parts** of the starter, and save it (Ctrl+S).
# 4. **Check it**: run the lesson's `check(...)` cells — one after each part, and
#    `check("lab1")` for the whole lab at the end. You get a score table: one line per test
#    with its points, pass/fail and a one-line reason. Or run `make test lab1` in a terminal
#    (File → New → Terminal): same tests, same points, and a last line like `SCORE lab1: 7/20`.
# 5. Fix what the table points at, and go back to 4 until you have full marks.
# 6. **Hand it in**: `make submit lab1` when you are done — it makes the zip to hand in.
#
# ## Where each lab's four parts live
#
# Everything about lab *N* is found by its name:
#
# | part | where | what it is |
# |---|---|---|
# | lesson | `notebooks/labN_*.ipynb` | this kind of notebook: the idea, demonstrated, with `check(...)` cells |
# | starter | `labs/labN_*/` + `README.md` | the file you edit, and the task |
# | reference | `dags/labN_*.py` | the instructor's complete DAG (the solution) — not in the student edition: there `dags/` holds blank starters and JupyterLab hides it |
# | tests | `tests/labN/` | the graded tests `make test labN` and the `check(...)` cells run |

# %% [markdown]
# ## The local stack
#
# Every notebook starts the same way: `stack.ensure("lab1")` reuses the services that
# `make lab` started, or starts the missing ones in this kernel. It also puts their
# settings into environment variables, so anything Airflow runs finds them too.

# %%
from labkit import stack

services = stack.ensure("lab1")
services

# %% [markdown]
# ## What Airflow is made of (아키텍처)
#
# Airflow is a platform for data pipelines: you write a **DAG** (a Python file describing
# tasks and their order), and Airflow runs it on a schedule, retries what fails, and
# shows you what happened. Airflow is itself a small cluster of cooperating programs:
#
# - **API server** (API 서버) — the web UI and the REST API. In Airflow 2 this was the
#   *webserver* (웹서버, a Flask app); Airflow 3 replaced it with `airflow api-server`.
#   Users only ever talk to this one. In Airflow 3 the workers report to it too.
# - **Scheduler** (스케줄러) — decides what should run now: which DAG runs are due, which
#   tasks have their upstream done. Think "cron that understands dependencies".
# - **DAG processor** (DAG 프로세서) — reads the files in the DAG directory and stores the
#   parsed DAGs in the metadata DB. (In Airflow 2 the scheduler did this itself.)
# - **Triggerer** (트리거러) — waits on behalf of *deferrable* tasks (e.g. "wait until this
#   file appears") without holding a worker slot.
# - **Executor** (익스큐터) — the part of the scheduler that decides *how and where* a
#   task runs: in a local process, on a Celery worker, in a Kubernetes pod.
# - **Workers** (워커) — the processes that actually run your task code.
# - **Metadata DB** (메타데이터 DB) — a relational database holding everything Airflow
#   knows: DAGs, runs, task states, Variables, Connections, XComs, users.
# - **DAG directory** (DAG 폴더, `dags_folder`) — the folder of DAG files that the DAG
#   processor scans (every `[dag_processor] refresh_interval` seconds, 300 by default —
#   a new file does not show up at once; Airflow 2 called it `dag_dir_list_interval`).
# - **Queue** (큐) — how the scheduler hands tasks to workers on other machines
#   (Redis, RabbitMQ, SQS for Celery). On one machine it is just inter-process
#   communication.
#
# The flow: you trigger a DAG (UI/API) → its run is written to the metadata DB → the
# scheduler sees it and hands ready tasks to the executor → the executor puts them on a
# queue (or starts a process) → a worker runs the task and reports its state back.

# %% [markdown]
# ## Single node vs multi node (싱글 노드 / 멀티 노드)
#
# | | single node | multi node |
# |---|---|---|
# | machines | one server runs everything | API server + scheduler on a "master"; workers on separate servers |
# | queue | simple IPC between processes | a real broker (Redis, RabbitMQ, SQS) |
# | executor | `LocalExecutor` (the 3.x default) | `CeleryExecutor` or `KubernetesExecutor` |
# | when it's too small | **scale up** (스케일 업): a bigger server | **scale out** (스케일 아웃): add workers |
# | cost | easy to run | more moving parts, more things that fail |
#
# The course's advice still holds: when one server is not enough, consider a managed
# Airflow (Google Cloud Composer, Amazon MWAA) before running your own cluster. With the
# **KubernetesExecutor** each task runs in its own pod built from a Docker image, so
# tasks with conflicting libraries no longer share one worker.
#
# Airflow 3 removed the old `SequentialExecutor`; the Celery and Kubernetes executors come
# from provider packages (`apache-airflow-providers-celery`, `…-cncf-kubernetes`).

# %% [markdown]
# ## The same parts, on your machine
#
# Let's look. First the Airflow home (`AIRFLOW_HOME`): the folder where Airflow keeps its
# database, logs and DAGs folder.

# %%
from pathlib import Path

home = services.airflow_home.path
print("AIRFLOW_HOME =", home)
for item in sorted(home.iterdir()):
    print("  ", item.name + ("/" if item.is_dir() else ""))
print("DAG directory holds:", sorted(p.name for p in services.airflow_home.dags_folder.iterdir()))

# %% [markdown]
# The metadata DB here is one SQLite file, `airflow.db`. We can peek with Python's own
# `sqlite3` (read-only, and without importing Airflow, which takes ~5 s):

# %%
import sqlite3

db = sqlite3.connect(f"file:{home / 'airflow.db'}?mode=ro", uri=True)
tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
print(len(tables), "tables, among them:")
for name in ("dag", "dag_run", "task_instance", "xcom", "variable", "connection", "job"):
    (count,) = db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()  # names from our own list
    print(f"  {name:<14} {count:>4} rows")
db.close()

# %% [markdown]
# `dag_run` and `task_instance` remember every run so far (the lab notebooks run their DAG
# here). `job` is where the scheduler and friends write their **heartbeat** (the health
# check in lab 4 reads it); it stays empty because no scheduler runs here — lessons and
# tests run a DAG with `dag.test()`, which plays scheduler, executor and worker inside one
# process. And `variable` and `connection` are empty although lab 1's DAG uses both: ours
# come from environment variables (below), which Airflow checks before the DB.
#
# **SQLite is fine for one student, never for production**: it is a single file that one
# writer at a time can use, so the scheduler and workers would queue behind each other.
# Production uses PostgreSQL (or MySQL) via `[database] sql_alchemy_conn`, with backups.
#
# How Airflow finds the warehouse and the weather API: environment variables.
# `AIRFLOW__SECTION__KEY` overrides a setting of `airflow.cfg`, `AIRFLOW_CONN_X` defines the
# Connection `x`, `AIRFLOW_VAR_X` the Variable `x`. We print them with secrets masked —
# a habit worth keeping: never print a password or key, not even in a notebook.

# %%
import json
import os
import re

SECRET_NAME = re.compile(r"KEY|PASSWORD|SECRET|TOKEN|LOGIN", re.IGNORECASE)


def hide(key: str, value):
    return "***" if SECRET_NAME.search(key) else value


def masked(name: str, value: str) -> str:
    if name.startswith("AIRFLOW_CONN_"):
        try:
            conn = json.loads(value)
        except ValueError:
            return "*** (a connection URI)"
        extra = conn.get("extra")
        if isinstance(extra, dict):
            conn["extra"] = {key: hide(key, v) for key, v in extra.items()}
        elif extra:
            conn["extra"] = "***"
        return json.dumps({key: hide(key, v) for key, v in conn.items()})
    if SECRET_NAME.search(name):
        return "***"
    return re.sub(r"(://[^:/@]+):[^@]+@", r"\1:***@", value)  # a password inside a URL


for name in sorted(os.environ):
    if name.startswith("AIRFLOW"):
        print(f"{name} = {masked(name, os.environ[name])}")

# %% [markdown]
# So, component by component:
#
# | component | in production | in this kit |
# |---|---|---|
# | API server (was webserver) | `airflow api-server`, behind a login | not running; started only when a lab needs it (lab 4) |
# | scheduler | `airflow scheduler`, one or more | not running; `dag.test()` plays it |
# | DAG processor | `airflow dag-processor` | `dag.test()` parses the DAG file itself |
# | triggerer | `airflow triggerer` | not used by the labs |
# | executor | Local / Celery / Kubernetes | `dag.test()` runs tasks one by one, in your process |
# | workers | processes, Celery workers, pods | your notebook kernel (or pytest) |
# | metadata DB | PostgreSQL / MySQL, backed up | SQLite: `.labkit/airflow/notebooks/airflow.db` |
# | DAG directory | `dags_folder` | `.labkit/airflow/notebooks/dags` (links to the reference DAGs in `dags/`) |
# | queue | Redis / RabbitMQ / SQS | none: one process |
# | the warehouse (Redshift in the course) | a data warehouse | PostgreSQL 16 on 127.0.0.1, Connection `warehouse` |

# %% [markdown]
# ## Running it for real (production checklist from the course)
#
# What the course says to change before Airflow carries real work — the labs come back to
# most of these:
#
# - metadata DB on PostgreSQL or MySQL, not SQLite; back it up (lab 6)
# - `LocalExecutor` on one server; Celery or Kubernetes executors to scale out
# - authentication on, strong passwords; secrets in Connections/Variables, never in code
# - big disks for logs, and a DAG that cleans old logs (lab 6)
# - back up `airflow.cfg` too: its `fernet_key` decrypts the secrets in the metadata DB
# - a health check wired to monitoring: is the scheduler's heartbeat fresh? (lab 4)
# - UTC everywhere

# %% [markdown]
# ## Airflow 2 → 3: idioms you will meet
#
# The course was written for Airflow 2; the kit runs Airflow 3.3. When old code meets the
# new version, this is what you see and what to write instead:
#
# | Airflow 2 (course) | what Airflow 3.3 says | write instead |
# |---|---|---|
# | `DAG(..., schedule_interval="0 2 * * *")` | `TypeError: … unexpected keyword argument 'schedule_interval'` | `schedule="0 2 * * *"` |
# | `airflow webserver` | ``Command `airflow webserver` has been removed. Please use `airflow api-server` `` | `airflow api-server` |
# | `/api/v1/...` with basic auth, `/health` | 404 / 401 | `/api/v2/...` with a JWT from `POST /auth/token`; `/api/v2/monitor/health` |
# | `execution_date` (context, templates) | `KeyError` / `UndefinedError` | `logical_date`, `{{ ds }}` |
# | `airflow db init` | `invalid choice: 'init' (choose from 'check', …, 'migrate', …)` | `airflow db migrate` |
# | `[scheduler] dag_dir_list_interval` | still read, with a deprecation warning | `[dag_processor] refresh_interval` |
# | `from airflow.utils.dates import days_ago` | `ImportError` | `pendulum.datetime(2026, 1, 1, tz="UTC")` |
# | `airflow dags backfill` | removed | `airflow backfill create` |
#
# Each lesson ends with the rows of this table it met.
#
# ## Next
#
# Open **`notebooks/lab1_dedupe_upsert.ipynb`**: a weather forecast, and why loading it
# every day leaves duplicates — unless you know the trick.

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
# # Lab 4 — the Airflow 3 REST API and health monitoring (API & 모니터링)
#
# Sooner or later an Airflow stops working while everything *looks* fine: the web page
# loads, the DAGs are listed, and nothing has run for six hours because the scheduler hung.
# This lesson watches Airflow **from the outside**, through its REST API, the way a
# monitoring system does. You will log in the Airflow 3 way, read the health endpoint,
# list and trigger DAGs, see what the API hides, stop a scheduler on purpose — and have a
# monitor tell Slack about it.
#
# **This lab's files:** [the task (README)](../labs/lab4_api_health/README.md) ·
# your starters [monitoring/airflow_api.py](../labs/lab4_api_health/monitoring/airflow_api.py) and
# [monitoring/health_monitor.py](../labs/lab4_api_health/monitoring/health_monitor.py) ·
# check your work with the `check(...)` cells below, or `make test lab4` in a terminal.
#
# The first cell starts a real Airflow 3.3 on your machine: API server, scheduler, DAG
# processor and triggerer, with authentication on (about 10 s, ~0.7 GB of memory). It
# stops when this kernel stops.

# %%
from labkit import stack
from labkit.check import check

services = stack.ensure("lab4")
airflow = services.airflow_server
print(services.describe())

# %% [markdown]
# Helpers used below: `show(rows, headers)` draws a table; `HINT` is what cells print when
# a part of the lab is still yours to write.

# %%
import json
import os
from datetime import datetime, timedelta, timezone

import httpx

from labkit.edition import lesson_module
from labkit.notebooks import show

HINT = "(write it in labs/lab4_api_health/monitoring/; `make test lab4` tells you how far you are)"
API = airflow.url

# %% [markdown]
# ## 1. Who may call the API: auth managers, users and roles (인증과 권한)
#
# The course (Airflow 2) switched the API on with `[api] auth_backend = basic_auth`, created
# a user `monitor` in the web UI, and sent its password with every request. Airflow 3
# replaced all three parts:
#
# | | Airflow 2 (the course) | Airflow 3 |
# |---|---|---|
# | who checks logins | `[api] auth_backend` | an **auth manager**: `[core] auth_manager` |
# | users for development | the FAB user database | **SimpleAuthManager**: `[core] simple_auth_manager_users = admin:admin,monitor:viewer` |
# | users for production | FAB (LDAP, OAuth) | the FAB auth manager provider, Keycloak, or your cloud's |
# | how a request proves who it is | basic auth on every call | `POST /auth/token` once → a JWT → `Authorization: Bearer …` |
#
# SimpleAuthManager knows four roles: **viewer** (read only), **user** (+ trigger and clear
# runs), **op** (+ Variables, Connections, pools), **admin** (everything). A monitor needs
# to read, never to change: it gets *viewer*. The kit started this Airflow with two users:

# %%
show([(user, role) for user, role in {"admin": "admin", "monitor": "viewer"}.items()], ["user", "role"])
print("passwords: generated for this Airflow, in", airflow.home.path / "passwords.json", "(mode 600)")
print("your code reads the monitor login from:", ", ".join(k for k in airflow.env() if k.startswith("AIRFLOW_API")))

# %% [markdown]
# Basic auth, as the course sent it, now gets **401**. A token works:

# %%
password = os.environ["AIRFLOW_API_PASSWORD"]  # from the environment, never typed into a file
basic = httpx.get(f"{API}/api/v2/dags", auth=("monitor", password), timeout=10)
print("basic auth:", basic.status_code, basic.json())

login = httpx.post(f"{API}/auth/token", json={"username": "monitor", "password": password}, timeout=10)
token = login.json()["access_token"]
print("POST /auth/token:", login.status_code, "→ a JWT of", len(token), "characters")
dags = httpx.get(f"{API}/api/v2/dags", headers={"Authorization": f"Bearer {token}"}, params={"limit": 3}, timeout=10)
print("with the token:", dags.status_code, [d["dag_id"] for d in dags.json()["dags"]])

# %% [markdown]
# A JWT is three base64 parts; the middle one says who you are and until when. Anyone who
# holds it *is* you until it expires (24 h by default), so it deserves the care a password gets.

# %%
import base64

claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
show([(key, claims[key]) for key in ("sub", "role", "iat", "exp") if key in claims], ["claim", "value"])
print("valid for", (claims["exp"] - claims["iat"]) / 3600, "hours")

# %% [markdown]
# ### Your client
#
# `monitoring/airflow_api.py` wraps all of this: `AirflowClient.from_env()` reads the three
# variables, `token()` logs in once, `request()` sends the token with a timeout and turns
# every failure into one readable `AirflowAPIError`.

# %%
api, api_path = lesson_module("lab4", "monitoring/airflow_api.py")
print("running", api_path.name)
try:
    client = api.AirflowClient.from_env()
    print(client)  # the password is not in the repr
    print("token:", client.token()[:24], "…")
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")
    client = api.AirflowClient(API, "monitor", password)  # the constructor is given

# %% [markdown]
# What a wrong password, a missing permission, an unknown DAG and a dead server look like
# through your client: one line each, saying what to check — never a traceback, never the password.

# %%
admin_password = os.environ["LABKIT_AIRFLOW_ADMIN_PASSWORD"]
attempts = [
    ("wrong password", api.AirflowClient(API, "monitor", "not-the-password"), "GET", "/api/v2/dags"),
    ("viewer reads Variables", api.AirflowClient(API, "monitor", password), "GET", "/api/v2/variables"),
    ("unknown DAG", api.AirflowClient(API, "monitor", password), "GET", "/api/v2/dags/no_such_dag"),
    ("Airflow 2 field", api.AirflowClient(API, "admin", admin_password), "POST", "/api/v2/dags/lab4_triggered_report/dagRuns"),
    ("nobody listening", api.AirflowClient("http://127.0.0.1:9", "monitor", password, timeout=3), "GET", "/api/v2/dags"),
]
for what, who, method, path in attempts:
    try:
        who.request(method, path, json={"execution_date": "2024-01-01T00:00:00Z"} if method == "POST" else None)
        print(f"{what:<24} no error?!")
    except NotImplementedError as todo:
        print(f"{what:<24} Not written yet — {str(todo)[:80]}…")
        break
    except api.AirflowAPIError as error:
        print(f"{what:<24} {error}")

# %% [markdown]
# ### ✏️ Your turn: part 1 — the client
#
# Write `describe_error`, then `AirflowClient.from_env`, `_send`, `token` and `request` in
# [monitoring/airflow_api.py](../labs/lab4_api_health/monitoring/airflow_api.py) (the table in the
# [README](../labs/lab4_api_health/README.md) says what each must do): a token from `POST /auth/token`,
# a timeout on every call, and one readable `AirflowAPIError` for every failure, never
# showing the password. Everything else in the lab calls them, so start here. Save the file
# (Ctrl+S), then run the cell below: it grades that part with the same tests as
# `make test lab4` and shows a score table, one line per test with the reason it failed.
# Run it again after every fix.
#
# It grades the files saved on disk, in a separate process, against an Airflow of its own
# (about 10 s to start, and it stops afterwards): a bug in your file cannot break this
# notebook or its Airflow. ■ (interrupt the kernel) stops a check that takes too long.

# %%
check("lab4", "client")

# %% [markdown]
# ## 2. The health endpoint, live (헬스 체크)
#
# `GET /api/v2/monitor/health` needs **no login**, on purpose: a load balancer or a
# monitoring agent must be able to ask even when auth is broken. The course's `/health`
# answers 404 in Airflow 3, with a pointer to the new address:

# %%
print("/health:", httpx.get(f"{API}/health", timeout=10).text[:160])
health = httpx.get(f"{API}/api/v2/monitor/health", timeout=10).json()
print(json.dumps(health, indent=2))

# %% [markdown]
# Each component reports a `status` and its latest heartbeat; the metadata DB only a status.
# Airflow calls a component *unhealthy* when its heartbeat is older than
# `[scheduler] scheduler_health_check_threshold` (30 s). Your `check_health` judges both
# the status and the heartbeat's age against a limit of your own, and returns a Nagios exit
# code: **0** OK, **2** CRITICAL, **3** UNKNOWN (could not ask).

# %%
try:
    report = api.check_health(client)
    print(report.summary())
    print("exit code:", report.exit_code)
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# **Healthy but stale.** A scheduler stuck in a database lock still has `status: healthy`
# for a while, and a status page cached by a proxy can say "healthy" for hours. The
# heartbeat's age is the fact. Ask the same question as if it were ten minutes later:

# %%
try:
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    print(api.check_health(client, now=later).summary())
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# **A stopped scheduler, for real.** Stop it as an operator would (SIGTERM): it marks its
# job finished on the way out, so Airflow reports it *unhealthy at once*, while its last
# heartbeat is still seconds old. A check of the heartbeat alone would miss this.

# %%
airflow.stop_component("scheduler")
print(json.dumps(httpx.get(f"{API}/api/v2/monitor/health", timeout=10).json()["scheduler"], indent=2))
try:
    print(api.check_health(client).summary())
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %%
airflow.start_component("scheduler")
airflow.wait_healthy(("scheduler",))
print("scheduler back:", httpx.get(f"{API}/api/v2/monitor/health", timeout=10).json()["scheduler"]["status"])

# %% [markdown]
# ### ✏️ Your turn: part 2 — health
#
# Write `assess_component` and `check_health` in [monitoring/airflow_api.py](../labs/lab4_api_health/monitoring/airflow_api.py):
# judge each component by its `status` **and** by its heartbeat's age, and never raise — an
# API that cannot be reached is a report with `error` (exit code 3). Save (Ctrl+S), then
# run the cell below.

# %%
check("lab4", "health")

# %% [markdown]
# ## 3. DAGs and runs through the API (API로 DAG 다루기)
#
# **Pagination.** `GET /api/v2/dags` answers one page: `limit` (at most
# `[api] maximum_page_limit`, 100 by default) entries from `offset`, plus `total_entries`.
# The course's script read one page and missed DAG number 101. This Airflow holds the lab's
# DAG and 25 do-nothing `fleet_…` DAGs; pages of 10 make the point:

# %%
admin = api.AirflowClient(API, "admin", admin_password)
try:
    page = admin.request("GET", "/api/v2/dags", params={"limit": 10})
    print(f"one page: {len(page['dags'])} DAGs, {page['dags'][0]['dag_id']} … {page['dags'][-1]['dag_id']}; "
          f"total_entries = {page['total_entries']}")
    everything = api.list_dags(admin, page_size=10)
    print(f"list_dags(page_size=10): {len(everything)} DAGs in {-(-len(everything) // 10)} pages")
    show([(d["dag_id"], d["is_paused"], ", ".join(t["name"] for t in d.get("tags", []))) for d in everything[-4:]],
         ["dag_id (the last four)", "is_paused", "tags"])
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# **Active DAGs.** New DAGs start paused (`[core] dags_are_paused_at_creation`); a paused
# DAG's runs wait in `queued` forever. Switch the lab's DAG on (admin only) and list the
# active ones — the API filters with `paused=false`:

# %%
airflow.api("PATCH", "dags/lab4_triggered_report", params={"update_mask": "is_paused"}, json={"is_paused": False})
try:
    print("active:", [d["dag_id"] for d in api.list_active_dags(client)])
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# **Trigger with a conf and a logical date, then wait.** The body takes `logical_date`
# (required; `null` means "now") — Airflow 2's `execution_date` gets 422. The run starts
# `queued`, the scheduler hands it to a worker, and `wait_for_run` polls until it ends or
# its timeout passes. The task returns what it received, so we can read it back from XCom.

# %%
try:
    logical = datetime(2026, 3, 1, tzinfo=timezone.utc)
    run = api.trigger_dag_run(admin, "lab4_triggered_report", conf={"region": "kr", "requested_by": "notebook"},
                              logical_date=logical, run_id=f"notebook_{datetime.now():%H%M%S}")
    print("created:", run["dag_run_id"], run["state"])
    done = api.wait_for_run(admin, "lab4_triggered_report", run["dag_run_id"], timeout=120)
    print("final state:", done["state"], f"after {done.get('duration') or 0:.1f} s of running")
    xcom = airflow.api("GET", f"dags/lab4_triggered_report/dagRuns/{run['dag_run_id']}/taskInstances/report/xcomEntries/return_value")
    print("the task received:", xcom.json()["value"])
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")
except api.AirflowAPIError as error:
    print(error)

# %% [markdown]
# ### ✏️ Your turn: part 3 — DAGs and runs
#
# Write `list_dags`, `list_active_dags`, `trigger_dag_run` and `wait_for_run` in
# [monitoring/airflow_api.py](../labs/lab4_api_health/monitoring/airflow_api.py): every page (`limit`, `offset` until
# `total_entries`), active means unpaused, `logical_date` (never `execution_date`) and
# `conf`, and a wait that gives up at its timeout, naming the state. Save (Ctrl+S), then run
# the cell below.

# %%
check("lab4", "dags")

# %% [markdown]
# ## 4. Variables come back masked; config is forbidden (변수와 설정)
#
# Values of Variables whose key looks secret (`password`, `token`, `api_key`, `secret`, …)
# come back as `***`, to every user, through every endpoint. The monitor user cannot read
# Variables at all (viewer); an admin sees the masked values:

# %%
for key, value in {"slack_token": "xoxb-not-a-real-token", "region": "ap-northeast-2"}.items():
    if airflow.api("POST", "variables", json={"key": key, "value": value}).status_code == 409:
        airflow.api("PATCH", f"variables/{key}", json={"key": key, "value": value})
try:
    show(sorted(api.list_variables(admin).items()), ["key", "value as the API returns it"])
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# `GET /api/v2/config` answers 403 unless `[api] expose_config = True`; even then, secrets
# show as `< hidden >`. Keep it off: config names hosts, paths and users an attacker wants.

# %%
try:
    api.get_config(admin)
except (api.AirflowAPIError, NotImplementedError) as error:
    print(error)

# %% [markdown]
# ### ✏️ Your turn: part 4 — Variables
#
# Write `list_variables` in [monitoring/airflow_api.py](../labs/lab4_api_health/monitoring/airflow_api.py): every page, as
# key → value (secret ones arrive as `***`: keep them that way). `get_config` is given; its
# test checks that your `request` turns the 403 into an `AirflowAPIError`. Save (Ctrl+S),
# then run the cell below.

# %%
check("lab4", "variables")

# %% [markdown]
# ## 5. The monitor: cron, exit codes, Slack (모니터링 스크립트)
#
# `monitoring/health_monitor.py` is the whole job: check, print, alert Slack (the lab 3
# connection `slack_alerts`) when not OK, exit with the Nagios code. It runs **outside**
# Airflow — a DAG that watches the scheduler stops watching when the scheduler stops:
#
# ```
# */5 * * * *  cd /opt/dags && python -m monitoring.health_monitor --max-age 120
# ```
#
# Here it runs against this Airflow twice: healthy (silent), then with an impossible
# heartbeat limit (alert). The kit's Slack receiver shows what arrived.

# %%
monitor, _ = lesson_module("lab4", "monitoring/health_monitor.py")
services.slack.clear()
try:
    print("exit code:", monitor.main(["--max-age", "300"]))
    print("exit code:", monitor.main(["--max-age", "0.001"]))
    for post in services.slack.posts:
        print("--- Slack received:\n" + post.message())
except NotImplementedError as todo:
    print(f"Not written yet — {todo}\n{HINT}")

# %% [markdown]
# ### ✏️ Your turn: part 5 — the monitor
#
# Write `notify_slack` and `main` in [monitoring/health_monitor.py](../labs/lab4_api_health/monitoring/health_monitor.py): print
# the report, alert Slack (connection `slack_alerts`) unless it is OK, never raise, and
# return the exit code. The last test stops the scheduler of the check's own Airflow for
# real — this notebook's keeps running. Save (Ctrl+S), then run the cell below.

# %%
check("lab4", "monitor")

# %% [markdown]
# ## 6. In production
#
# **Keep the API off the internet.** It can trigger runs, read Variables and Connections
# (with enough rights) and clear history. Put the API server behind a VPN or a private
# network, terminate TLS in front of it, allow the monitoring hosts only, and give
# monitors a *viewer* account: a stolen token should read, not write. SimpleAuthManager
# is for development (passwords in a file); production uses the FAB auth manager (users,
# LDAP/OAuth) or your identity provider.
#
# **At scale, metrics beat polling.** One health check tells you "up or down". A monitoring
# system tells you "the queue has grown for an hour":
#
# | tool | how it gets Airflow's numbers | what to alert on |
# |---|---|---|
# | Datadog | the Agent's Airflow integration: the health endpoint + StatsD metrics (`[metrics] statsd_on = True`) | scheduler heartbeat, `dag_processing.import_errors`, queued tasks |
# | Grafana + Prometheus | `statsd_exporter` (or OpenTelemetry, `[metrics] otel_on = True`) → Prometheus → Grafana dashboards | `scheduler.heartbeat` rate, `executor.queued_tasks`, task failures per DAG |
# | anything Nagios-like | this lab's monitor: exit code 0/2/3 | the exit code |
#
# Alert on **symptoms users feel** (a DAG not finished by its SLA, a stale scheduler), not on
# every task retry, or people mute the channel.

# %% [markdown]
# ## 7. Airflow 2 → 3, for this lab
#
# | Airflow 2 (the course) | Airflow 3.3 |
# |---|---|
# | `GET /health` | `GET /api/v2/monitor/health` (old path: 404 with a hint) |
# | `/api/v1/...` | `/api/v2/...` |
# | `[api] auth_backend = ...basic_auth`, `curl --user monitor:…` | auth manager + `POST /auth/token` → `Authorization: Bearer <JWT>` |
# | users created in the web UI (FAB) | `[core] simple_auth_manager_users` (dev) or the FAB auth manager provider |
# | `execution_date` in `POST …/dagRuns` | `logical_date` (required, may be `null`); `execution_date` → 422 |
# | `airflow webserver` | `airflow api-server` (UI and API in one) |
# | `is_active` on a DAG | `is_stale` (the file is gone) and `is_paused` |
# | `latest_scheduler_heartbeat` only | a heartbeat per component: scheduler, triggerer, **dag_processor** (now its own process) |

# %% [markdown]
# ## 8. Now you
#
# Your turn: **[`labs/lab4_api_health/README.md`](../labs/lab4_api_health/README.md)** has the task, the
# points and hints; each *Your turn* cell above grades one part. With every part written
# and saved (Ctrl+S), grade the whole lab — your client and monitor, against a fresh
# Airflow of its own:

# %%
check("lab4")

# %% [markdown]
# Each failing line of the score table names the concept it tests.
#
# The same tests give the same score in a terminal (File → New → Terminal): `make test lab4`.
# When you are done, `make submit lab4` makes the zip to hand in.

"""labkit.stack: `ensure("lab1")` starts what a lesson needs, and processes it starts reuse it.

The stack exports into os.environ and registers atexit handlers, so it is exercised in
fresh processes: a parent that calls ensure("lab1") as a notebook's first cell does, a
child that inherits its environment (a notebook's subprocess), and the child's child.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from labkit.paths import ROOT
from labkit.services import airflow, postgres
from tests.kit.helpers import clean_env, postgres_processes

NESTED = textwrap.dedent(
    """\
    import json, os, subprocess, sys

    from labkit import stack

    KEYS = ("AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_WEATHER_API_URL", "LABKIT_WAREHOUSE_DSN",
            "LABKIT_PG_ADMIN_DSN", "AIRFLOW_HOME")
    depth = int(sys.argv[1])
    services = stack.ensure("lab1")
    report = {
        "pid": os.getpid(),
        "env": {key: os.environ.get(key) for key in KEYS},
        "postgres_mode": services.postgres.mode,
        "dags": sorted(os.listdir(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])),
    }
    if depth == 0:
        import psycopg2

        report["folder"] = str(services.postgres.data_dir.parent)
        with psycopg2.connect(os.environ["LABKIT_WAREHOUSE_DSN"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            report["database"] = cur.fetchone()[0]
    if depth < 2:
        child = subprocess.run([sys.executable, __file__, str(depth + 1)], capture_output=True, text=True, timeout=90)
        lines = child.stdout.strip().splitlines()
        report["child"] = json.loads(lines[-1]) if child.returncode == 0 and lines else {"error": child.stderr[-3000:]}
    if depth == 0:
        services.stop()
        report["folder_exists_after_stop"] = os.path.exists(report["folder"])
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> dict:
    """Run parent → child → grandchild, each calling stack.ensure("lab1"); their reports."""
    script = tmp_path_factory.mktemp("stack") / "nested.py"
    script.write_text(NESTED)
    home = airflow.root() / "notebooks-lab1"
    had_home = home.exists()  # a lesson's home is kept; one this test made is removed
    try:
        run = subprocess.run(
            [sys.executable, str(script), "0"], cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=180
        )
    finally:
        if not had_home:
            shutil.rmtree(home, ignore_errors=True)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    for level in ("child", "grandchild"):
        source = report if level == "child" else report["child"]
        assert "error" not in source["child"], source["child"].get("error")
    return report


def test_ensure_exports_what_lab1_needs(chain):
    env = chain["env"]
    connection = json.loads(env["AIRFLOW_CONN_WAREHOUSE"])
    assert connection["conn_type"] == "postgres" and connection["schema"] == "warehouse"
    assert env["LABKIT_WAREHOUSE_DSN"].endswith(f":{connection['port']}/warehouse")
    assert chain["database"] == "warehouse"  # the warehouse database exists and answers
    assert env["AIRFLOW_VAR_WEATHER_API_URL"].startswith("http://127.0.0.1:")
    assert env["AIRFLOW_VAR_WEATHER_API_URL"].endswith("/data/2.5/onecall")
    assert env["AIRFLOW_HOME"] == str(airflow.root() / "notebooks-lab1")  # the lab's own home
    assert chain["postgres_mode"] == "embedded"


def test_a_child_process_attaches_to_the_parents_services(chain):
    child = chain["child"]
    assert child["pid"] != chain["pid"]
    assert child["postgres_mode"] == "attached"
    assert child["env"]["LABKIT_PG_ADMIN_DSN"] == chain["env"]["LABKIT_PG_ADMIN_DSN"]  # no second postgres
    assert child["env"]["AIRFLOW_VAR_WEATHER_API_URL"] == chain["env"]["AIRFLOW_VAR_WEATHER_API_URL"]
    assert child["env"]["AIRFLOW_HOME"] == chain["env"]["AIRFLOW_HOME"]


def test_every_level_gets_an_airflow_home_with_only_its_labs_dags(chain):
    """Attached to a parent's services (a kernel under `make lab`), the lesson's Airflow still holds lab 1's DAG only."""
    for report in (chain, chain["child"], chain["child"]["child"]):
        assert report["dags"] == ["lab1_dedupe_upsert.py"]


def test_a_grandchild_attaches_to_the_same_services(chain):
    grandchild = chain["child"]["child"]
    assert grandchild["postgres_mode"] == "attached"
    assert grandchild["env"]["LABKIT_PG_ADMIN_DSN"] == chain["env"]["LABKIT_PG_ADMIN_DSN"]
    assert grandchild["env"]["AIRFLOW_VAR_WEATHER_API_URL"] == chain["env"]["AIRFLOW_VAR_WEATHER_API_URL"]


def test_stop_leaves_no_server_behind(chain):
    assert chain["folder_exists_after_stop"] is False
    for report in (chain, chain["child"], chain["child"]["child"]):
        assert postgres_processes(f"pg-{report['pid']}-") == []
        assert not list(postgres.run_root().glob(f"pg-{report['pid']}-*"))


def test_lab3_fakes_start_in_the_process_that_inspects_them(monkeypatch):
    """Slack and Sheets fakes live where a notebook can read their state; their connections are exported."""
    import json

    from labkit import labs, stack

    for name in ("AIRFLOW_CONN_SLACK_ALERTS", "AIRFLOW_CONN_GOOGLE_SHEETS", "LABKIT_SLACK_URL", "LABKIT_SHEETS_URL"):
        monkeypatch.delenv(name, raising=False)
    assert {"slack", "sheets"} <= set(labs.get("lab3").services) and not set(stack.IN_PROCESS) & set(stack.ALL_SERVICES)
    services = stack.start(services=("slack", "sheets"), export=False)
    try:
        slack_conn = json.loads(services.env["AIRFLOW_CONN_SLACK_ALERTS"])
        assert slack_conn["conn_type"] == "slackwebhook" and services.slack.token == slack_conn["password"]
        sheets_conn = json.loads(services.env["AIRFLOW_CONN_GOOGLE_SHEETS"])
        assert sheets_conn["extra"]["api_url"] == services.sheets.url
        assert services.sheets.tabs("Marketing plan 2019") == ["channel_budget"]
        assert services.slack.token not in services.describe()  # the table a notebook shows
    finally:
        services.stop()
    assert not services.slack.healthy() and not services.sheets.healthy()


def test_a_connection_the_user_defined_means_real_mode(monkeypatch):
    from labkit import stack

    monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", '{"conn_type": "slackwebhook", "password": "T/B/real"}')
    monkeypatch.delenv("LABKIT_SLACK_URL", raising=False)
    services = stack.start(services=("slack",), export=False)
    try:
        assert services.slack is None and "AIRFLOW_CONN_SLACK_ALERTS" not in services.env
    finally:
        services.stop()


def test_a_lesson_runs_the_reference_here_and_the_students_files_in_a_student_edition(monkeypatch):
    import labkit.edition
    from labkit.paths import DAGS, lab_dir
    from labkit.stack import default_dags

    assert {path.parent for path in default_dags("lab5")} == {DAGS}
    monkeypatch.setattr(labkit.edition, "is_student_edition", lambda root=ROOT: True)
    in_edition = default_dags("lab5")
    assert {path.parent for path in in_edition} == {lab_dir("lab5")}
    assert "lab5_latest_only.py" in {path.name for path in in_edition}

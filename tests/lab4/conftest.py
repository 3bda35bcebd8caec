"""Lab 4 fixtures: your monitoring package, and a real Airflow 3.3 with auth on to talk to.

The Airflow (API server, scheduler, DAG processor, triggerer) is started once per grading
run (see labkit/grading/servers.py). Each test sets the state it needs: which DAGs are
paused, which Variables exist, that the scheduler runs.
"""
from __future__ import annotations

import secrets

import pytest

FLEET = [f"fleet_{n:02d}" for n in range(25)]
GIVEN_DAG = "lab4_triggered_report"
ALL_DAGS = sorted([*FLEET, GIVEN_DAG])
ACTIVE = sorted(["fleet_03", "fleet_07", "fleet_11", "fleet_19", GIVEN_DAG])


@pytest.fixture(scope="session")
def api(load_lab):
    """Your monitoring/airflow_api.py."""
    return load_lab("monitoring/airflow_api.py")


@pytest.fixture(scope="session")
def monitor(load_lab, api):
    """Your monitoring/health_monitor.py."""
    return load_lab("monitoring/health_monitor.py")


@pytest.fixture(scope="session")
def airflow_live(live_airflow):
    """The run's Airflow, healthy, with the fleet of DAGs parsed."""
    server = live_airflow("lab4")
    server.wait_for_dags(set(ALL_DAGS))
    return server


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    """Import Airflow's Slack hook (~4 s, for the monitor tests) before the first test, while
    the runner's Airflow is still starting: the wait for it comes right after this.

    Not in a background thread: CPython 3.11 can fail with "SystemError: AST constructor
    recursion depth mismatch" when one thread compiles an import while another formats a
    failed test's traceback (pytest-dev/pytest#10763).
    """
    try:
        import airflow.providers.slack.hooks.slack_webhook  # noqa: F401
    except Exception:  # the test that needs it reports the problem
        pass


@pytest.fixture
def airflow(airflow_live, monkeypatch):
    """The live Airflow with every component running, and its monitor login in the env."""
    missing = [name for name in ("scheduler", "dag-processor", "triggerer") if not airflow_live.is_running(name)]
    for name in missing:
        airflow_live.start_component(name)
    if missing:
        airflow_live.wait_healthy()
    for key, value in airflow_live.env().items():
        monkeypatch.setenv(key, value)
    return airflow_live


@pytest.fixture
def paused_as_planned(airflow):
    """fleet_03, 07, 11, 19 and the report DAG on; every other DAG paused."""
    paused = {}
    while len(paused) < len(ALL_DAGS):
        page = airflow.api("GET", "dags", params={"offset": len(paused), "order_by": "dag_id"}).json()
        paused.update({d["dag_id"]: d["is_paused"] for d in page["dags"]})
        if not page["dags"]:
            break
    for dag_id in ALL_DAGS:
        wanted = dag_id not in ACTIVE
        if paused.get(dag_id) != wanted:
            response = airflow.api("PATCH", f"dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": wanted})
            assert response.status_code == 200, response.text
    return ACTIVE


@pytest.fixture
def variables(airflow):
    """Twelve Variables (more than a page): three hold secrets under secret-looking keys."""
    secret_values = {
        "slack_token": "xoxb-" + secrets.token_hex(8),
        "warehouse_password": secrets.token_urlsafe(12),
        "weather_api_key": secrets.token_hex(12),
    }
    plain = {f"region_{n:02d}": f"ap-northeast-{n}" for n in range(9)}
    wanted = {**secret_values, **plain}
    for key, value in wanted.items():
        response = airflow.api("POST", "variables", json={"key": key, "value": value})
        if response.status_code == 409:  # left by an earlier run against this server
            response = airflow.api("PATCH", f"variables/{key}", json={"key": key, "value": value})
        assert response.is_success, response.text
    return {"secret": secret_values, "plain": plain}


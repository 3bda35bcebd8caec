"""docker-compose.yaml, docker/ and .env.example, checked without a Docker engine; and
`python -m labkit.services.serve` (what the stack's kit-services runs), driven by real clients.

The compose stack must give DAGs what the local stack gives them: the same AIRFLOW_CONN_* /
AIRFLOW_VAR_* names, the same connection types and shapes, pointing at compose services.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from labkit.paths import DAGS, ROOT
from labkit.services import serve
from labkit.services._net import free_port, port_open

COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "kit-entrypoint.sh"
OFFICIAL = ("postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer")
CELERY = ("redis", "airflow-worker", "flower")
# ${VAR}, ${VAR:-default}, ${VAR:?message}; `$${X}` is compose's escape for a literal `${X}`.
COMPOSE_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?][^}]*)?\}")
LAB_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW_VAR_")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())  # SafeLoader resolves the anchors and `<<` merges


@pytest.fixture(scope="module")
def common_env(compose) -> dict[str, str]:
    return compose["x-airflow-common"]["environment"]


def env_example() -> dict[str, str]:
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            found[name.strip()] = value.strip()
    return found


def substitute(text: str, values: dict[str, str]) -> str:
    """Compose's interpolation, enough for these tests (every variable must be in `values`)."""
    return COMPOSE_VAR.sub(lambda m: values[m.group(1)], text)


def local_env() -> dict[str, str]:
    """What the local class demo exports for its DAGs, from the service objects themselves
    (lightweight fakes started for a moment; nothing heavy: no PostgreSQL, no moto)."""
    from labkit import stack
    from labkit.services import airflow, airflow_metadata, gsheets, http_api, postgres, s3, slack

    pg = postgres.PostgresServer("127.0.0.1", 5432, password="x")
    env = {**pg.env(postgres.WAREHOUSE_DB), **s3.S3Server("127.0.0.1", 5000).env()}
    for fake in (slack.SlackWebhook(), gsheets.GoogleSheets(), http_api.WeatherAPI()):
        fake.start()
        try:
            env.update(fake.env())
        finally:
            fake.stop()
    env.update(airflow_metadata.MetadataDB(pg, "airflow_demo", "k").env())
    env.update(airflow.AirflowHome(Path("/tmp/home"), Path("/tmp/home/dags")).env())
    env["AIRFLOW_VAR_BACKUP_BUCKET"] = stack.BACKUP_BUCKET  # labkit/demo/stack.py sets it by hand
    env["AIRFLOW_VAR_BACKUP_MANIFEST_SECRET"] = "x"  # so does the manifests' signing key (a secret of its own)
    return env


def parse_conn(value: str) -> dict:
    """An AIRFLOW_CONN_* value (JSON or URI) as {conn_type, host, port, extra...}."""
    if value.lstrip().startswith("{"):
        return json.loads(value)
    parts = urlsplit(value)
    return {"conn_type": {"postgresql": "postgres"}.get(parts.scheme, parts.scheme), "host": parts.hostname,
            "port": parts.port, "login": parts.username, "password": parts.password, "schema": parts.path.lstrip("/")}


# -- structure ------------------------------------------------------------------------------------
def test_official_services_with_their_commands_and_healthchecks(compose):
    services = compose["services"]
    assert {*OFFICIAL, "s3", "kit-services"} <= set(services)
    commands = {name: services[f"airflow-{name}"]["command"] for name in ("scheduler", "dag-processor", "triggerer")}
    assert commands == {"scheduler": "scheduler", "dag-processor": "dag-processor", "triggerer": "triggerer"}
    api = services["airflow-apiserver"]
    assert api["command"] == "api-server"
    assert any(str(port).endswith(":8080") for port in api["ports"])
    assert "http://localhost:8080/api/v2/version" in api["healthcheck"]["test"]
    assert "http://localhost:8974/health" in services["airflow-scheduler"]["healthcheck"]["test"]
    for name in OFFICIAL[1:]:  # the Airflow services share x-airflow-common's image, env and volumes
        assert services[name]["image"] == "airflow-lab-kit:3.3.2", name
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
            "http://airflow-apiserver:8080/execution/"
        assert "./dags:/opt/airflow/dags" in services[name]["volumes"], name
    for name in OFFICIAL[2:]:  # ...and start only after airflow-init migrated the DB
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    from labkit.services.airflow_server import USERS

    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == ",".join(f"{u}:{r}" for u, r in USERS.items())


def test_celery_services_only_in_the_celery_profile(compose):
    services = compose["services"]
    profiled = {name for name, service in services.items() if "profiles" in service}
    assert profiled == set(CELERY)
    assert all(services[name]["profiles"] == ["celery"] for name in CELERY)
    # `docker compose up` (no profile) must not need them: no default service depends on one.
    for name, service in services.items():
        if name not in CELERY:
            assert not set(service.get("depends_on") or {}) & set(CELERY), f"{name} depends on a celery service"
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert services["airflow-worker"]["command"] == "celery worker"
    header = COMPOSE.read_text().split("\n---", 1)[0]
    assert "AIRFLOW_EXECUTOR=CeleryExecutor docker compose --profile celery up" in header


def test_every_published_port_is_on_loopback_only(compose):
    """A class stack runs on laptops in shared networks: what it publishes on the host answers
    that machine only (127.0.0.1), like every socket of the local stack. Services reach each
    other on compose's own network (`expose`, service names), never through the host."""
    published = {name: service["ports"] for name, service in compose["services"].items() if service.get("ports")}
    assert set(published) == {"airflow-apiserver", "flower"}  # the two UIs
    everywhere = []
    for name, ports in published.items():
        for port in ports:
            if isinstance(port, dict):  # the long syntax
                host_ip = port.get("host_ip")
            else:  # [IP:][HOST:]CONTAINER[/PROTO]; no IP: every interface
                spec = re.fullmatch(r"(?:(?:(?P<ip>\[[^]]*\]|[\d.]+):)?[\d-]+:)?[\d-]+(?:/\w+)?",
                                    substitute(str(port), env_example()))
                assert spec, f"{name}: cannot read the port {port!r}"
                host_ip = spec["ip"]
            if host_ip != "127.0.0.1":
                everywhere.append(f"{name} publishes {port} on every interface: write 127.0.0.1:{port}")
    assert not everywhere, "\n".join(everywhere)


def test_flower_asks_for_a_password_that_env_holds(compose, tmp_path):
    """Flower can stop workers and read every task's arguments: basic auth, its password from
    .env (a change-me placeholder there, refused at start), and a healthcheck that logs in."""
    flower = compose["services"]["flower"]
    auth = flower["environment"]["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"]  # Airflow's [celery] flower_basic_auth
    assert auth == "flower:${FLOWER_PASSWORD:?set it in .env (see .env.example)}"
    assert "change-me" in env_example()["FLOWER_PASSWORD"]
    for name, service in compose["services"].items():  # the password goes to Flower alone
        if name != "flower":
            assert "FLOWER" not in json.dumps(service.get("environment") or {}), name
    check = " ".join(flower["healthcheck"]["test"])
    assert "--user" in check and "$${AIRFLOW__CELERY__FLOWER_BASIC_AUTH}" in check  # the container's env, not the file
    # The command: refuses the placeholder, else becomes `airflow celery flower` (a fake here).
    fake = tmp_path / "airflow"
    fake.write_text('#!/bin/sh\necho "airflow $*"\n')
    fake.chmod(0o755)
    script = flower["command"]
    assert script[:2] == ["bash", "-c"]
    body = script[2].replace("$$", "$")  # compose's escape for a literal `$`
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    placeholder = subprocess.run(["bash", "-c", body], env={**env, "AIRFLOW__CELERY__FLOWER_BASIC_AUTH": "flower:change-me"},
                                 capture_output=True, text=True, timeout=10)
    assert placeholder.returncode != 0 and "FLOWER_PASSWORD" in placeholder.stderr
    started = subprocess.run(["bash", "-c", body], env={**env, "AIRFLOW__CELERY__FLOWER_BASIC_AUTH": "flower:Zx8-kq"},
                             capture_output=True, text=True, timeout=10)
    assert (started.returncode, started.stdout) == (0, "airflow celery flower\n"), started.stderr


def test_every_image_tag_is_pinned(compose):
    images = {name: service["image"] for name, service in compose["services"].items()}
    for name, image in images.items():
        repo, _, tag = image.rpartition(":")
        assert repo and tag != "latest" and re.match(r"^\d+\.\d+", tag), f"{name}: {image} is not pinned to a minor version"
    assert images["s3"] == f"motoserver/moto:{version('moto')}"  # the moto the local stack runs
    froms = re.findall(r"^FROM\s+(\S+)", DOCKERFILE.read_text(), re.M)
    assert froms == [f"apache/airflow:{version('apache-airflow')}-python3.11"]
    assert images["airflow-apiserver"] == f"airflow-lab-kit:{version('apache-airflow')}"


def test_dockerfile_installs_the_versions_pyproject_pins():
    pinned = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', (ROOT / "pyproject.toml").read_text()))
    installed = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', DOCKERFILE.read_text()))
    wanted = {"apache-airflow", "apache-airflow-providers-standard", "apache-airflow-providers-postgres",
              "apache-airflow-providers-common-sql", "apache-airflow-providers-amazon",
              "apache-airflow-providers-slack", "gspread", "pgserver"}
    assert wanted <= set(installed)
    assert {name: installed[name] for name in installed} == {name: pinned[name] for name in installed}
    assert "pip install --no-cache-dir --no-deps /opt/labkit/src" in DOCKERFILE.read_text()


def test_every_referenced_path_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith((".", "/")):  # a bind mount (else a named volume, declared below)
                assert (ROOT / source).exists(), f"{name} mounts {source}, missing in the repo"
            else:
                assert source in compose["volumes"], f"{name}: named volume {source} is not declared"
        build = service.get("build")
        if build:
            context = ROOT / build["context"]
            assert (context / build["dockerfile"]).is_file(), f"{name}: no {build['dockerfile']}"
        for env_file in service.get("env_file") or []:
            assert (ROOT / env_file).is_file(), f"{name}: no env_file {env_file}"
    for line in DOCKERFILE.read_text().splitlines():  # the build context is the repository root
        if line.startswith("COPY"):
            sources = [part for part in line.split()[1:-1] if not part.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, missing in the repo"
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR
    assert "/opt/labkit/kit-entrypoint.sh" in DOCKERFILE.read_text()
    assert (DAGS / "config" / "summaries").is_dir()  # SUMMARY_CONFIG_DIR's source


def test_entrypoint_waits_bounded_then_sources_and_execs_the_official_one(tmp_path):
    fake_official = tmp_path / "entrypoint"  # stands in for /usr/bin/dumb-init -- /entrypoint
    text = ENTRYPOINT.read_text().replace("/usr/bin/dumb-init -- /entrypoint", str(fake_official))
    script = tmp_path / "kit-entrypoint.sh"
    script.write_text(text)
    fake_official.write_text('#!/bin/sh\nprintf "%s|%s" "$AIRFLOW_CONN_GOOGLE_SHEETS" "$*"\n')
    fake_official.chmod(0o755)
    shared = tmp_path / "services.env"
    env = {"PATH": os.environ["PATH"], "LABKIT_SHARED_ENV_FILE": str(shared), "LABKIT_SHARED_ENV_WAIT": "1"}
    missing = subprocess.run(["bash", str(script), "scheduler"], env=env, capture_output=True, text=True, timeout=10)
    assert missing.returncode == 1 and "did not appear within 1 s" in missing.stderr
    serve.write_env_file(shared, {"AIRFLOW_CONN_GOOGLE_SHEETS": '{"a": "it\'s $HOME"}'})
    assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    ran = subprocess.run(["bash", str(script), "scheduler"], env=env, capture_output=True, text=True, timeout=10)
    assert (ran.returncode, ran.stdout) == (0, '{"a": "it\'s $HOME"}|scheduler')


# -- .env and secrets ------------------------------------------------------------------------------
def test_every_compose_variable_is_in_env_example_which_holds_no_secret():
    text = COMPOSE.read_text()
    used = set(COMPOSE_VAR.findall(text))
    example = env_example()
    assert used == set(example), f"missing in .env.example: {used - set(example)}; unused: {set(example) - used}"
    plain = {"AIRFLOW_UID": r"\d+", "AIRFLOW_EXECUTOR": "LocalExecutor", "AIRFLOW_PORT": r"\d+"}
    for name, value in example.items():
        if name in plain:
            assert re.fullmatch(plain[name], value), f"{name}={value}"
        else:
            assert "change-me" in value, f".env.example: {name} must be a change-me placeholder"
            assert not re.search(r"[A-Za-z0-9_+/=-]{20,}", value.replace("T0LABKIT0/B0LABKIT0/", "")), name
            # a secret is required: compose refuses to start without it, at every use
            uses = re.findall(r"\$\{" + name + r"(:[?-][^}]*)?\}", text)
            assert uses and all(use.startswith(":?") for use in uses), f"{name} must be ${{{name}:?…}} everywhere"
    assert not re.search(r"airflow:airflow@|PASSWORD: *['\"]?\w", text), "a literal password in docker-compose.yaml"


# -- the same names and shapes as the local stack ----------------------------------------------------
def test_env_names_match_what_the_local_stack_exports(common_env):
    local = local_env()
    local_names = {name for name in local if name.startswith(LAB_PREFIXES)}
    compose_names = {name for name in common_env if name.startswith(LAB_PREFIXES)}
    assert not compose_names & set(serve.SHARED_ENV)  # set in one place only
    assert compose_names | set(serve.SHARED_ENV) == local_names
    for name in ("SUMMARY_CONFIG_DIR", "PG_BIN_DIR", "AWS_DEFAULT_REGION"):
        assert name in local and name in common_env, name
    assert common_env["SUMMARY_CONFIG_DIR"] == "/opt/airflow/dags/" + str(
        Path(local["SUMMARY_CONFIG_DIR"]).relative_to(DAGS))
    assert common_env["AIRFLOW_VAR_BACKUP_BUCKET"] == local["AIRFLOW_VAR_BACKUP_BUCKET"] == serve.BACKUP_BUCKET


def test_connections_have_the_local_types_and_shapes_on_compose_hosts(compose, common_env):
    local = local_env()
    values = {name: f"{name.lower()}-value" for name in env_example()}
    services = set(compose["services"])
    for name in (n for n in common_env if n.startswith("AIRFLOW_CONN_")):
        ours, theirs = parse_conn(substitute(common_env[name], values)), parse_conn(local[name])
        assert ours["conn_type"] == theirs["conn_type"], name
        assert set(ours) == set(theirs), name
        assert set(ours.get("extra") or {}) == set(theirs.get("extra") or {}), name
        host = ours.get("host") or ""
        endpoint = (ours.get("extra") or {}).get("endpoint_url", "")
        hostname = urlsplit(host).hostname if "://" in host else host
        assert (hostname or urlsplit(endpoint).hostname) in services, f"{name} points at no compose service"
    assert {parse_conn(local[n])["conn_type"] for n in ("AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_CONN_AWS_DEFAULT",
                                                       "AIRFLOW_CONN_SLACK_ALERTS")} == {"postgres", "aws", "slackwebhook"}
    # the fakes' URLs use kit-services' ports and paths, as serve.py binds them
    slack_host = urlsplit(json.loads(substitute(common_env["AIRFLOW_CONN_SLACK_ALERTS"], values))["host"])
    assert (slack_host.hostname, slack_host.port, slack_host.path) == ("kit-services", serve.PORTS["slack"], "/services")
    weather = urlsplit(common_env["AIRFLOW_VAR_WEATHER_API_URL"])
    assert (weather.hostname, weather.port, weather.path) == (
        "kit-services", serve.PORTS["weather"], urlsplit(local["AIRFLOW_VAR_WEATHER_API_URL"]).path)
    kit = compose["services"]["kit-services"]
    assert kit["command"][:3] == ["python", "-m", "labkit.services.serve"]
    assert kit["entrypoint"] == ["/usr/bin/dumb-init", "--", "/entrypoint"]  # not the wrapper: it writes the file
    assert kit["environment"]["CONNECTION_CHECK_MAX_COUNT"] == "0"  # no metadata DB to wait for
    args = serve.parse_args(kit["command"][3:])  # the options it passes exist, and bind the fixed ports
    assert (args.host, args.public_host, args.slack_port, args.sheets_port, args.weather_port) == (
        "0.0.0.0", "kit-services", *serve.PORTS.values())
    assert urlsplit(args.s3_endpoint).hostname == "s3"
    assert "--public-host=kit-services" in kit["command"] and "--env-file=/kit-shared/services.env" in kit["command"]
    assert kit["environment"][serve.SLACK_TOKEN_ENV] == "${SLACK_WEBHOOK_TOKEN:?set it in .env (see .env.example)}"
    assert common_env["LABKIT_SHARED_ENV_FILE"] == "/kit-shared/services.env"


def _compose_command() -> list[str] | None:
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        try:
            if subprocess.run([*command, "version"], capture_output=True, timeout=10).returncode == 0:
                return command
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def test_docker_compose_config_accepts_it(tmp_path):
    command = _compose_command()
    if command is None:
        if os.environ.get("LABKIT_CI") or os.environ.get("CI"):
            pytest.fail("CI must check docker-compose.yaml with `docker compose config`, but neither "
                        "`docker compose` nor `docker-compose` is installed (.ci/run installs the latter)")
        pytest.skip("no docker compose here (Debian: apt-get install docker-compose)")
    for path in (COMPOSE, ENV_EXAMPLE):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "docker", tmp_path / "docker")
    (tmp_path / "dags").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in env_example()}
    missing = subprocess.run([*command, "config", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=20)
    assert missing.returncode != 0 and "set it in .env" in missing.stderr
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    done = subprocess.run([*command, "config", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr


# -- serve.py, with the real clients ---------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_serve_runs_the_fakes_for_real_clients_and_stops_on_sigterm(tmp_path, monkeypatch, common_env):
    from labkit.data import budget

    ports = {"slack": free_port(), "sheets": free_port(), "weather": free_port()}
    token, api_key = "T0LABKIT0/B0LABKIT0/test-token-x1", "test-api-key-x1"
    shared, out = tmp_path / "shared" / "services.env", tmp_path / "serve.out"
    env = {**os.environ, serve.SLACK_TOKEN_ENV: token, serve.WEATHER_KEY_ENV: api_key, "PYTHONUNBUFFERED": "1"}
    with open(out, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labkit.services.serve", "--host", "127.0.0.1", "--public-host", "127.0.0.1",
             "--env-file", str(shared), *(f"--{name}-port={port}" for name, port in ports.items())],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 15
        while not ("SIGTERM" in out.read_text() and all(port_open("127.0.0.1", p) for p in ports.values())):
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, "serve did not come up in 15 s:\n" + out.read_text()
            time.sleep(0.1)

        # The shared file: mode 600, only SHARED_ENV, and bash reads it back unchanged (as the entrypoint does).
        assert stat.S_IMODE(shared.stat().st_mode) == 0o600
        sourced = subprocess.run(
            ["bash", "-c", 'set -a; source "$1"; env -0', "_", str(shared)], env={"PATH": os.environ["PATH"]},
            capture_output=True, text=True, timeout=10, check=True).stdout
        exported = dict(item.split("=", 1) for item in sourced.split("\0") if item.startswith(LAB_PREFIXES))
        assert set(exported) == set(serve.SHARED_ENV)

        # Slack: Airflow's hook, with the connection exactly as docker-compose.yaml writes it.
        here = {"kit-services:8091": f"127.0.0.1:{ports['slack']}", "kit-services:8093": f"127.0.0.1:{ports['weather']}"}
        values = dict.fromkeys(env_example(), "x") | {"SLACK_WEBHOOK_TOKEN": token, "WEATHER_API_KEY": api_key}
        slack_conn = substitute(common_env["AIRFLOW_CONN_SLACK_ALERTS"], values)
        for old, new in here.items():
            slack_conn = slack_conn.replace(old, new)
        monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", slack_conn)
        monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_SHEETS", exported["AIRFLOW_CONN_GOOGLE_SHEETS"])
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        response = SlackWebhookHook(slack_webhook_conn_id="slack_alerts").send_text("lab3 failed: task load")
        assert (response.status_code, response.body) == (200, "ok")
        deadline = time.monotonic() + 5
        while "lab3 failed: task load" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "slack: HTTP 200: lab3 failed: task load" in out.read_text()

        # Google Sheets: the DAGs' own client, from the connection the shared file holds.
        sys.path.insert(0, str(DAGS))
        try:
            from common.sheets import sheets_client
        finally:
            sys.path.remove(str(DAGS))
        extra = json.loads(exported["AIRFLOW_CONN_GOOGLE_SHEETS"])["extra"]
        assert extra["api_url"] == f"http://127.0.0.1:{ports['sheets']}"
        assert json.loads(extra["keyfile_dict"])["token_uri"] == extra["api_url"] + "/token"
        rows = sheets_client().open(budget.SPREADSHEET).worksheet(budget.TAB).get_all_values()
        assert rows == budget.sheet_rows()

        # Forecast API: the Variables as docker-compose.yaml sets them.
        url = common_env["AIRFLOW_VAR_WEATHER_API_URL"]
        for old, new in here.items():
            url = url.replace(old, new)
        key = substitute(common_env["AIRFLOW_VAR_WEATHER_API_KEY"], values)
        params = {"lat": 37.57, "lon": 126.98, "appid": key}
        forecast = requests.get(url, params=params, timeout=5)
        assert forecast.status_code == 200 and len(forecast.json()["daily"]) == 8
        assert requests.get(url, params={**params, "appid": "wrong"}, timeout=5).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    assert code == 0
    text = out.read_text()
    assert "kit services stopped" in text
    assert token.rsplit("/", 1)[1] not in text and api_key not in text and "PRIVATE KEY" not in text

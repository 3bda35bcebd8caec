"""The class demo's stack: a production-shaped Airflow 3.3 with every reference DAG.

    demo = start(DemoState.default())
    print(demo.banner())
    ...
    demo.stop()

What runs, all on 127.0.0.1 and all started here, no Docker:
- PostgreSQL 16 (embedded, its data kept in `.labkit/demo/postgres`, or yours with
  LABKIT_PG_DSN) holding the Airflow metadata DB `airflow_demo` and the `warehouse`;
- Airflow's API server (with the UI), scheduler, DAG processor and triggerer; LocalExecutor,
  auth on (users `admin` and `monitor`), a Fernet key, task logs at INFO;
- the lab services, in this process: S3 (moto), the forecast API, the Slack and Google Sheets
  fakes, each wired into Airflow as a Connection or Variable (`AIRFLOW_CONN_*`, `AIRFLOW_VAR_*`
  in the components' environment, exactly like the docker-compose stack).
"""
from __future__ import annotations

import ast
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labkit import labs
from labkit import stack as lab_stack
from labkit.compose import Services
from labkit.demo.state import DemoState
from labkit.services import airflow, airflow_metadata, airflow_server, postgres, s3
from labkit.services._net import free_port

METADATA_DB = "airflow_demo"
DEFAULT_PORT = 8080
# The services the reference DAGs use besides PostgreSQL, in this process (their posts and
# sheets are what the instructor shows).
SERVICES = ("s3", "weather_api", "slack", "sheets")
# Besides the reference: a DAG that fails on request, for the "break it on purpose" moment.
EXTRA_DAGS = (labs.DEMO_ALERT_DRILL,)
# A laptop's budget: four task slots (lab 5's waiting trigger holds one while the run it
# waits for needs another), one API worker.
SETTINGS = {
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
    # Task logs are lesson material: show INFO (grading servers keep WARNING).
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
}


@dataclass
class Demo:
    state: DemoState
    postgres: postgres.PostgresServer
    metadata: airflow_metadata.MetadataDB
    services: lab_stack.Stack
    server: airflow_server.AirflowServer
    started_in: float
    owned: Services  # what stop() stops, newest first: the Airflow, the lab services, PostgreSQL
    dag_files: dict[str, str] = field(default_factory=dict)  # dag_id -> file, for "parsed or why not"

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def admin_password(self) -> str:
        return self.server.passwords["admin"]

    def stop(self) -> None:
        """Stop everything; the state folder stays for the next demo."""
        try:
            self.owned.close()
        finally:
            self.state.unlock()

    def memory_mb(self) -> float:
        """PSS of the demo's processes: this one (the lab services), PostgreSQL and each Airflow
        component with everything it forked (each runs in a session of its own)."""
        sessions = set(self.server.pids.values())
        postmaster = (self.postgres.data_dir / "postmaster.pid") if self.postgres.data_dir else None
        if postmaster is not None and postmaster.exists():
            sessions.add(int(postmaster.read_text().split()[0]))
        from labkit.bench import pss_kb

        total = pss_kb(os.getpid())
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if os.getsid(int(entry.name)) in sessions:
                    total += pss_kb(int(entry.name))
            except (OSError, ValueError):
                continue
        return total / 1024

    def banner(self) -> str:
        rows = [
            ("Airflow UI", self.url),
            ("login", f"admin / {self.admin_password}    (read-only: monitor / {self.server.passwords['monitor']})"),
            ("metadata DB", f"{self.postgres.safe_dsn(METADATA_DB)}  (LocalExecutor, Fernet key set)"),
            ("warehouse", f"{self.postgres.safe_dsn(postgres.WAREHOUSE_DB)}  (connection warehouse)"),
            *self.services.rows(),
            ("state", f"{self.state.folder}  (kept: `make demo RESET=1` starts over)"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"  {name:<{width}}  {where}" for name, where in rows]
        return "\n".join([
            f"Airflow {airflow.airflow_version()} is up in {self.started_in:.0f} s with {len(self.dag_files)} reference DAGs.",
            *lines,
            "",
            "What to click (docs/demo.md has the 45-minute script):",
            "  1. Log in, open Dags: every lab's DAG is there, paused (new DAGs start paused).",
            "  2. lab1_dedupe_upsert: unpause it, Trigger, then watch the Grid; open a task's Logs.",
            "  3. Admin → Variables / Connections: empty — the demo's come from AIRFLOW_VAR_* / AIRFLOW_CONN_*",
            "     environment variables, the way a secrets backend keeps passwords out of the DB.",
            "  4. Unpause lab5_orders_report, then trigger lab5_orders_pipeline: follow the run it starts.",
            "  5. Break something on purpose: trigger demo_alert_drill (fail ticked); the Slack alerts",
            "     its callbacks post are printed here.",
            "",
            "Ctrl-C stops everything; the next `make demo` starts from where this one stopped.",
        ])


def start(
    state: DemoState,
    *,
    port: int | None = DEFAULT_PORT,
    schedule: bool = True,
    log: Callable[[str], None] = print,
) -> Demo:
    """Start the demo stack (healthy, every reference DAG parsed on return)."""
    began = time.monotonic()
    state.lock()
    owned = Services("demo")
    try:
        secrets = state.secrets()
        log("PostgreSQL (metadata DB + warehouse)…")
        pg = owned.own("postgres", lambda: _postgres(state, secrets["postgres_password"])).get()
        metadata = _metadata_db(pg, secrets["fernet_key"], log)
        pg.create_database(postgres.WAREHOUSE_DB)
        _seed_warehouse(pg, log)

        log("lab services: S3 (moto), forecast API, Slack and Google Sheets fakes…")
        services = lab_stack.start(services=SERVICES, export=True)
        owned.adopt(services.services)
        os.environ.update(pg.env(postgres.WAREHOUSE_DB))
        s3.ensure_bucket(services.env.get("LABKIT_S3_ENDPOINT") or os.environ.get("LABKIT_S3_ENDPOINT"),
                         s3.BACKUP_BUCKET)
        os.environ["AIRFLOW_VAR_BACKUP_BUCKET"] = s3.BACKUP_BUCKET
        os.environ["AIRFLOW_VAR_BACKUP_MANIFEST_SECRET"] = secrets["backup_manifest_secret"]

        log("Airflow: API server + UI, scheduler, DAG processor, triggerer…")
        home = airflow.AirflowHome(state.airflow_home, state.airflow_home / "dags")
        home.path.mkdir(parents=True, exist_ok=True)
        dags = lab_stack.default_dags(None)
        home.link_dags(*dags, *EXTRA_DAGS)
        chosen = port if port and _port_free(port) else free_port()
        if port and chosen != port:
            log(f"port {port} is taken: using {chosen}")
        passwords = {"admin": secrets["admin_password"], "monitor": secrets["monitor_password"]}
        settings = {
            **airflow_server.settings_for(home, chosen, passwords),
            **SETTINGS,
            **{k: v for k, v in metadata.env().items() if k.startswith("AIRFLOW__")},
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets["jwt_secret"],
            "AIRFLOW__API__SECRET_KEY": secrets["api_secret_key"],
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(schedule),
        }
        # What tasks reach besides the AIRFLOW__ settings: lab 6 dumps the metadata DB itself.
        os.environ.update({k: v for k, v in metadata.env().items() if not k.startswith("AIRFLOW__")})
        server = owned.own("airflow_server", lambda: airflow_server.launch(
            airflow_server.AirflowServer(home, chosen, passwords, settings, keep_home=True), timeout=180)).get()
        dag_files = reference_dag_files(dags)
        missing = server.dags_or_errors({**dag_files, **reference_dag_files(list(EXTRA_DAGS))}, timeout=90)
        for dag_id, why in sorted(missing.items()):
            log(f"! {dag_id}: {why}")
        return Demo(state, pg, metadata, services, server, time.monotonic() - began, owned, dag_files)
    except BaseException:
        try:
            owned.close()
        finally:
            state.unlock()
        raise



def _postgres(state: DemoState, password: str) -> postgres.PostgresServer:
    """Yours (LABKIT_PG_DSN), else the embedded one whose data lives in the demo's folder."""
    if os.environ.get("LABKIT_PG_DSN"):
        return postgres.start(prefer="dsn")
    return postgres.start_embedded(folder=state.postgres_folder, password=password)


def _metadata_db(pg: postgres.PostgresServer, fernet_key: str, log: Callable[[str], None]) -> airflow_metadata.MetadataDB:
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (METADATA_DB,))
        exists = cur.fetchone() is not None
    conn.close()
    if exists:
        return airflow_metadata.MetadataDB(pg, METADATA_DB, fernet_key)
    log("first demo: creating the Airflow metadata DB (a migrated schema, kept for next time)…")
    return airflow_metadata.create(pg, METADATA_DB, fernet_key, seed=False)


def _seed_warehouse(pg: postgres.PostgresServer, log: Callable[[str], None]) -> None:
    """Lab 2's source tables (the course's NPS answers and sessions), once."""
    from labkit.data import lab2_sources

    conn = pg.connect(postgres.WAREHOUSE_DB)
    try:
        if lab2_sources.missing(conn):
            log("first demo: loading lab 2's source tables into the warehouse…")
            lab2_sources.ensure(conn)
    finally:
        conn.close()


def reference_dag_files(files: list[Path]) -> dict[str, str]:
    """dag_id -> file name for every DAG the reference files define (read, not imported)."""
    found: dict[str, str] = {}
    for file in files:
        if file.suffix != ".py":
            continue
        tree = ast.parse(file.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any(_is_dag_decorator(d) for d in node.decorator_list):
                dag_id = _keyword(node.decorator_list, "dag_id") or node.name
                found[dag_id] = file.name
    return found


def _is_dag_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return isinstance(target, ast.Name) and target.id == "dag"


def _keyword(decorators: list[ast.expr], name: str) -> str | None:
    for decorator in decorators:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == name and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

"""Start the local services a lab needs and export their settings as environment variables.

    from labkit import stack
    services = stack.ensure("lab1")     # first cell of every notebook

`ensure` reuses services a parent process already started (`make lab` starts them
before JupyterLab, so kernels inherit their settings) and starts what is missing in this
process otherwise. Either way, `os.environ` ends up holding `AIRFLOW_CONN_WAREHOUSE`,
`AIRFLOW_VAR_WEATHER_API_URL`, `LABKIT_…` and friends, so Airflow tasks, subprocesses
and `PostgresHook` all find them.
"""
from __future__ import annotations

import atexit
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit import labs
from labkit.compose import Owned, Services
from labkit.paths import DAGS
from labkit.services import airflow, airflow_metadata, airflow_server, gsheets, http_api, postgres, s3, slack

if TYPE_CHECKING:
    import psycopg2.extensions

ALL_SERVICES = ("postgres", "s3", "weather_api", "airflow")
# Fakes a notebook inspects (received Slack posts, sheet contents) live in the kernel that
# uses them: `make lab` never starts them for its kernels, `ensure` starts them in each.
# So does a live Airflow (~0.7 GB): only the lesson that needs it pays for it.
IN_PROCESS = ("slack", "sheets", "airflow_server", "metadata_db")


@dataclass
class Stack:
    """Running services and the environment that reaches them."""

    env: dict[str, str] = field(default_factory=dict, repr=False)  # holds passwords and keys
    postgres: postgres.PostgresServer | None = None
    s3: s3.S3Server | None = None
    weather_api: http_api.WeatherAPI | None = None
    slack: slack.SlackWebhook | None = None
    sheets: gsheets.GoogleSheets | None = None
    airflow_home: airflow.AirflowHome | None = None
    airflow_server: airflow_server.AirflowServer | None = None
    metadata_db: airflow_metadata.MetadataDB | None = None
    # What this process started (owned) or found (attached): see labkit/compose.py.
    services: Services = field(default_factory=lambda: Services("lesson"), repr=False)

    def stop(self) -> None:
        """Stop what this process started (services a parent owns are left running)."""
        self.services.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def warehouse(self) -> psycopg2.extensions.connection:
        """A new psycopg2 connection to the warehouse database."""
        import psycopg2

        return psycopg2.connect(self.env["LABKIT_WAREHOUSE_DSN"], connect_timeout=5)

    def rows(self) -> list[tuple[str, str]]:
        """(service, where) for each service this stack reaches."""
        rows = []
        if self.postgres:
            rows.append(("PostgreSQL", f"{self.postgres.mode}, {self.postgres.safe_dsn('warehouse')}"))
        if "LABKIT_S3_ENDPOINT" in self.env:
            rows.append(("S3 (moto)", self.env["LABKIT_S3_ENDPOINT"]))
        if "LABKIT_WEATHER_API_URL" in self.env:
            rows.append(("Weather API", self.env["LABKIT_WEATHER_API_URL"]))
        if self.slack:
            rows.append(("Slack webhook (fake)", f"{self.slack.url}, connection slack_alerts"))
        if self.sheets:
            rows.append(("Google Sheets (fake)", f"{self.sheets.url}, connection google_sheets"))
        if self.airflow_server:
            rows.append(("Airflow API (live)", f"{self.airflow_server.url}, users admin and monitor (passwords in the env)"))
        if self.airflow_home:
            rows.append(("Airflow home", str(self.airflow_home.path)))
        if self.metadata_db:
            rows.append(("Airflow metadata DB", f"{self.metadata_db.server.safe_dsn(self.metadata_db.name)} (connection airflow_db)"))
        return rows

    def describe(self) -> str:
        rows = self.rows()
        width = max((len(name) for name, _ in rows), default=0)
        return "\n".join(f"{name:<{width}}  {where}" for name, where in rows)

    def _repr_markdown_(self) -> str:  # how a notebook shows it
        return "\n".join(["| service | where |", "|---|---|", *(f"| {name} | `{where}` |" for name, where in self.rows())])


def services_for(lab: str | None) -> tuple[str, ...]:
    if lab is None:
        return ALL_SERVICES
    return labs.get(lab).services


def start(
    lab: str | None = None,
    *,
    services: Iterable[str] | None = None,
    airflow_name: str = "notebooks",
    dags: list[Path] | None = None,
    export: bool = True,
) -> Stack:
    """Start services in this process. They stop with `Stack.stop()` (or at exit)."""
    wanted = tuple(services) if services is not None else services_for(lab)
    stack = Stack()
    own = stack.services.own
    try:
        # Started side by side (a lesson's live Airflow takes ~10 s, the rest ~1 s each),
        # then read in this order, so that later settings win as they always did.
        started: dict[str, Owned[Any]] = {}
        if "postgres" in wanted:
            started["postgres"] = own("postgres", _warehouse_server, background=True)
        if "s3" in wanted and not _real("AIRFLOW_CONN_AWS_DEFAULT", "LABKIT_S3_ENDPOINT"):
            started["s3"] = own("s3", s3.start, background=True)
        if "weather_api" in wanted:
            started["weather_api"] = own("weather_api", lambda: http_api.start(advance_daily=True), background=True)
        if "slack" in wanted and not _real("AIRFLOW_CONN_SLACK_ALERTS", "LABKIT_SLACK_URL"):
            started["slack"] = own("slack", lambda: slack.SlackWebhook().start(), background=True)
        if "sheets" in wanted and not _real("AIRFLOW_CONN_GOOGLE_SHEETS", "LABKIT_SHEETS_URL"):
            started["sheets"] = own("sheets", _seeded_sheets, background=True)
        if "airflow_server" in wanted:
            # A home of this process's own: two kernels of one lesson (or a kernel and
            # `make test`'s notebook run) must not wipe or stop each other's Airflow.
            name, files = f"{airflow_name}-live-{os.getpid()}", dags if dags is not None else default_dags(lab)
            settings = dict(labs.get(lab).airflow_settings) if lab else None
            started["airflow_server"] = own("airflow_server", lambda: airflow_server.start(name, files, settings=settings),
                                            lambda server: server.stop(remove=True), background=True)
        for name, service in started.items():
            setattr(stack, name, service.get())
            stack.env.update(service.env())
        if stack.airflow_server is not None:
            stack.airflow_home = stack.airflow_server.home
            stack.env.update({**stack.airflow_server.home.env(), **stack.airflow_server.settings})
            stack.env.update(stack.airflow_server.env())
        if "airflow" in wanted:
            stack.airflow_home = airflow.prepare(airflow_name, dags if dags is not None else default_dags(lab), fresh=False)
            stack.env.update(stack.airflow_home.env())
        if "metadata_db" in wanted:  # after "airflow": its SQLAlchemy URL replaces the home's SQLite
            stack.metadata_db = own("metadata_db", lambda: _metadata_db(stack), _dropped).get()
            stack.env.update(stack.metadata_db.env())
    except BaseException:
        stack.stop()
        raise
    stack.env["LABKIT_STACK_PID"] = str(os.getpid())
    stack.env["LABKIT_STACK_SERVICES"] = ",".join(wanted)
    if export:
        os.environ.update(stack.env)
    atexit.register(stack.stop)
    return stack


BACKUP_BUCKET = s3.BACKUP_BUCKET


def _metadata_db(stack: Stack) -> airflow_metadata.MetadataDB:
    """This process's own metadata DB on the stack's (or the parent's) PostgreSQL, and the
    bucket its backups go to."""
    server = stack.postgres
    if server is None and "LABKIT_PG_ADMIN_DSN" in os.environ:
        server = postgres.attach(os.environ["LABKIT_PG_ADMIN_DSN"])
    if server is None:
        raise RuntimeError("the Airflow metadata DB needs PostgreSQL: start the stack with 'postgres' too")
    db = airflow_metadata.create(server, f"airflow_meta_{os.getpid()}")
    s3.ensure_bucket(stack.env.get("LABKIT_S3_ENDPOINT") or os.environ.get("LABKIT_S3_ENDPOINT"), BACKUP_BUCKET)
    stack.env["AIRFLOW_VAR_BACKUP_BUCKET"] = BACKUP_BUCKET
    # The key lab 6 signs its backup manifests with: in the environment, apart from the
    # bucket and from the metadata DB the backups hold (a new one per stack).
    stack.env.setdefault("AIRFLOW_VAR_BACKUP_MANIFEST_SECRET", secrets.token_hex(32))
    return db


def _warehouse_server() -> postgres.PostgresServer:
    server = postgres.start()
    try:
        server.create_database(postgres.WAREHOUSE_DB)
    except BaseException:
        server.stop()
        raise
    return server


def _seeded_sheets() -> gsheets.GoogleSheets:
    from labkit.data import budget

    sheets = gsheets.GoogleSheets().start()
    try:
        budget.seed(sheets)
    except BaseException:
        sheets.stop()
        raise
    return sheets



def _dropped(db: airflow_metadata.MetadataDB) -> None:
    """A lesson's metadata DB goes when its kernel stops (it is per process)."""
    db.server.drop_database(db.name)


def _real(connection: str, fake_marker: str) -> bool:
    """True when the user defined this connection themselves (real Slack, real Google)."""
    return bool(os.environ.get(connection)) and not os.environ.get(fake_marker)


def default_dags(lab: str | None) -> list[Path]:
    """The DAGs a lesson demonstrates (all of them when no lab is named): the reference, or
    in a student edition the student's own files, so a lesson runs what they wrote."""
    from labkit.edition import is_student_edition
    from labkit.paths import lab_dir

    pattern = f"{lab}_*.py" if lab else "lab[0-9]*_*.py"
    packages = labs.get(lab).packages if lab else labs.all_packages()
    extra = list(labs.get(lab).lesson_dags) if lab else []
    folder = DAGS
    if lab and is_student_edition():
        try:
            folder = lab_dir(lab)
        except FileNotFoundError:  # a lab without a starter folder yet
            pass
    return sorted(folder.glob(pattern)) + [folder / package for package in packages] + extra


def attach() -> Stack | None:
    """The services a parent process exported, if they still answer."""
    if "LABKIT_STACK_PID" not in os.environ:
        return None
    stack = Stack(env={k: v for k, v in os.environ.items() if k.startswith(("LABKIT_", "AIRFLOW_", "AWS_"))})
    if "LABKIT_PG_ADMIN_DSN" in os.environ:
        stack.postgres = postgres.attach(os.environ["LABKIT_PG_ADMIN_DSN"])
        if not stack.postgres.healthy():
            return None
    if "LABKIT_S3_ENDPOINT" in os.environ:
        endpoint = os.environ["LABKIT_S3_ENDPOINT"].rsplit(":", 1)
        stack.s3 = s3.S3Server(host=endpoint[0].split("//")[1], port=int(endpoint[1]))
    return stack


def ensure(lab: str | None = None, **kwargs: Any) -> Stack:
    """Reuse the services a parent started, or start them here. Call it first in a notebook.

    The Airflow home is always this lab's own (`.labkit/airflow/notebooks-lab1`), holding
    only this lab's DAGs, so lessons open side by side never disturb each other.
    """
    wanted = services_for(lab)
    kwargs.setdefault("airflow_name", f"notebooks-{lab}" if lab else "notebooks")
    stack = attach()
    if stack is not None:
        have = set(os.environ.get("LABKIT_STACK_SERVICES", "").split(",")) - {"airflow", *IN_PROCESS}
        missing = [name for name in wanted if name not in have]
        if not missing:
            return stack
        extra = start(lab, services=missing, **kwargs)  # `lab`: its own DAGs, not every lab's
        # Keep the parent's identity and add ours, so our own children attach to both.
        parent_pid = stack.env.get("LABKIT_STACK_PID", "")
        stack.env.update(extra.env)
        stack.env["LABKIT_STACK_PID"] = parent_pid
        stack.env["LABKIT_STACK_SERVICES"] = ",".join(sorted(have | set(missing)))
        os.environ.update(stack.env)
        stack.services.adopt(extra.services)
        for name in ("postgres", "s3", "weather_api", "slack", "sheets", "airflow_home", "airflow_server", "metadata_db"):
            if getattr(extra, name) is not None:
                setattr(stack, name, getattr(extra, name))
        return stack
    return start(lab, **kwargs)

"""PostgreSQL 16, the labs' warehouse.

Which server is used, in order:
1. `LABKIT_PG_DSN` — a server you run yourself (the kit creates its databases there);
2. a Docker daemon that answers within ~2 s — a throwaway container via testcontainers;
3. the embedded default — PostgreSQL 16 from the `pgserver` wheel, on TCP 127.0.0.1.

The embedded server lives in a fresh folder under `.labkit/run/` and is watched by a tiny
watchdog process, so it stops even when its owner is killed (a student's infinite loop
timed out by the grader, a closed notebook). Leftovers of a machine crash are reaped on
the next start.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlsplit

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from labkit.private_files import write_private
from labkit.services import _run_folders, ram_disk
from labkit.services._net import free_port
from labkit.services._run_folders import run_root

WAREHOUSE_DB = "warehouse"
DOCKER_IMAGE = "postgres:16-alpine"
# Only what a throwaway test server needs; durability settings are off for speed.
SMALL_TEMPLATE_BYTES = 16_000_000
_FAST_SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]


@dataclass
class PostgresServer:
    """A running server and how to reach it. `stop()` is safe to call twice."""

    host: str
    port: int
    user: str = "postgres"
    password: str = field(default="", repr=False)  # never in a printed object
    mode: str = "embedded"  # embedded | dsn | docker
    data_dir: Path | None = None
    _stopper: Callable[[], None] | None = field(default=None, repr=False)

    def dsn(self, database: str = "postgres") -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    def safe_dsn(self, database: str = "postgres") -> str:
        """The DSN with the password masked, for printing."""
        return self.dsn(database).replace(":" + quote(self.password, safe="") + "@", ":***@") if self.password else self.dsn(database)

    def connect(self, database: str = "postgres", **kwargs: Any) -> psycopg2.extensions.connection:
        # cast: with **kwargs the stub's overloads (connection_factory) cannot be told apart.
        return cast(psycopg2.extensions.connection, psycopg2.connect(self.dsn(database), connect_timeout=5, **kwargs))

    def healthy(self) -> bool:
        try:
            with self.connect() as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                return cur.fetchone() == (1,)
        except psycopg2.Error:
            return False

    # -- databases ---------------------------------------------------------------------
    def create_database(self, name: str, *, replace: bool = False, template: str | None = None) -> str:
        """Create (or re-create) a database — empty, or a copy of `template` — and return its DSN."""
        conn = self.connect()
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        try:
            with conn.cursor() as cur:
                if replace:
                    cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                    if template:
                        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                    cur.execute("SELECT pg_database_size(%s)", (template or "template1",))
                    size = cur.fetchone()
                    assert size is not None  # a SELECT without FROM returns exactly one row
                    # WAL_LOG copies through the WAL: 0.1 s for a small template; FILE_COPY
                    # forces a checkpoint (~0.28 s) but wins from a few tens of MB (lab 2's 51 MB).
                    strategy = "WAL_LOG" if size[0] < SMALL_TEMPLATE_BYTES else "FILE_COPY"
                    try:
                        cur.execute(create + sql.SQL(" STRATEGY {}").format(sql.SQL(strategy)))
                    except psycopg2.errors.SyntaxError:
                        cur.execute(create)  # an older server of the user's (LABKIT_PG_DSN)
        finally:
            conn.close()
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        conn = self.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                # FORCE also ends connections an Airflow task may have left open.
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        finally:
            conn.close()

    def reset(self) -> None:
        """Drop every database but the system ones and, if embedded, change the password.

        Raises psycopg2.Error when the server is no longer usable (a submission changed the
        password or dropped template1): replace it then.
        """
        conn = self.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")
                for (name,) in cur.fetchall():
                    cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                if self.mode == "embedded":
                    password = secrets.token_urlsafe(16)
                    cur.execute(sql.SQL("ALTER USER postgres PASSWORD {}").format(sql.Literal(password)))
                    self.password = password
        finally:
            conn.close()
        self.create_database("labkit_probe")  # template1 still there and usable?
        self.drop_database("labkit_probe")

    # -- lifecycle ---------------------------------------------------------------------
    def stop(self) -> None:
        if self._stopper is not None:
            stopper, self._stopper = self._stopper, None
            stopper()

    def env(self, database: str = WAREHOUSE_DB) -> dict[str, str]:
        """Settings every process reads: the Airflow connection `warehouse` and the kit's own."""
        conn = {
            "conn_type": "postgres",
            "host": self.host,
            "port": self.port,
            "login": self.user,
            "password": self.password,
            "schema": database,
        }
        return {
            "LABKIT_PG_ADMIN_DSN": self.dsn("postgres"),
            "LABKIT_WAREHOUSE_DSN": self.dsn(database),
            "AIRFLOW_CONN_WAREHOUSE": json.dumps(conn),
        }


# -- choosing and starting a server ---------------------------------------------------------
def start(*, prefer: str | None = None) -> PostgresServer:
    """Start (or attach to) a server following the priority in the module docstring.

    `prefer` forces one mode: "dsn", "docker" or "embedded" (used by `labkit doctor`).
    """
    dsn = os.environ.get("LABKIT_PG_DSN")
    if prefer in (None, "dsn") and dsn:
        return _from_dsn(dsn)
    if prefer == "dsn":
        raise RuntimeError("LABKIT_PG_DSN is not set")
    if prefer == "docker" or (prefer is None and docker_available()):
        return _start_docker()
    return start_embedded()


@dataclass
class AttachedPostgresServer(PostgresServer):
    """A server another process started and stops (found through its `LABKIT_PG_ADMIN_DSN`)."""

    mode: str = "attached"

    def stop(self) -> None:
        """Left running: its owner stops it."""


def attach(admin_dsn: str) -> AttachedPostgresServer:
    """A server another process started (its `LABKIT_PG_ADMIN_DSN`); stopping it is theirs."""
    found = _from_dsn(admin_dsn)
    return AttachedPostgresServer(host=found.host, port=found.port, user=found.user, password=found.password)


def docker_available(timeout: float = 2.0) -> bool:
    """True when a Docker daemon answers. Without one this returns in milliseconds."""
    try:
        import docker  # testcontainers' client

        # attr-defined: mypy resolves `docker` to the repository's docker/ folder (a namespace
        # package); the installed docker SDK ships no type information.
        client = docker.from_env(timeout=timeout)  # type: ignore[attr-defined]
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _from_dsn(dsn: str) -> PostgresServer:
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("LABKIT_PG_DSN must look like postgresql://user:password@host:5432/dbname")
    return PostgresServer(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        mode="dsn",
    )


def _start_docker() -> PostgresServer:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(DOCKER_IMAGE, username="postgres", password="labkit", driver=None)
    container.start()
    return PostgresServer(
        host=container.get_container_host_ip(),
        port=int(container.get_exposed_port(5432)),
        user="postgres",
        password="labkit",
        mode="docker",
        _stopper=container.stop,
    )


# -- the embedded server (pgserver's PostgreSQL 16 binaries) ---------------------------------
def bin_dir() -> Path:
    """pgserver's bin folder: postgres, initdb, pg_dump, pg_restore and psql (all v16)."""
    with warnings.catch_warnings():  # pgserver warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _bin(name: str) -> str:
    return str(bin_dir() / name)


def _system_user() -> str | None:
    """initdb refuses to run as root: pgserver's answer is a system user of its own."""
    if os.name == "posix" and os.geteuid() == 0:
        binaries = bin_dir()  # imports pgserver quietly first
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists("pgserver")
        ensure_prefix_permissions(binaries)
        ensure_folder_permissions(binaries, 0o055)
        ensure_folder_permissions(binaries.parent / "lib", 0o044)
        return "pgserver"
    return None


def _run(args: list[str], user: str | None, timeout: float = 60) -> None:
    result = subprocess.run(args, user=user, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


def start_embedded(*, port: int | None = None, password: str | None = None, folder: Path | None = None) -> PostgresServer:
    """A server in a fresh folder under `.labkit/run/`, deleted when it stops; or, given a
    `folder` (the class demo's), a server whose data outlives it: created on first use,
    started again from it next time (with the same `password`), durable (fsync on)."""
    reap_orphans()
    user = _system_user()
    keep = folder is not None
    folder = folder or run_root() / f"pg-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    data = folder / "data"
    fresh = not (data / "PG_VERSION").exists()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "owner.pid").write_text(str(os.getpid()))  # first: another start's reap_orphans() reads it
    if keep:
        data.mkdir(exist_ok=True)
    else:
        ram_disk.link_data(folder)  # in memory when there is room: see ram_disk
    if user:
        import pwd

        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(data)
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        os.chown(data, entry.pw_uid, entry.pw_gid)

    # A password per server: with trust, any local process (a hostile submission graded
    # next door) could connect to any server on 127.0.0.1.
    password = password or secrets.token_urlsafe(16)
    if fresh:
        pwfile = folder / "pwfile"
        write_private(pwfile, password)
        if user:
            import pwd

            os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
        _run(
            [_bin("initdb"), "-D", str(data), "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
             "--encoding=utf8", "-U", "postgres", *([] if keep else ["--no-sync"])],
            user,
        )
        pwfile.unlink()
    port = port or free_port()
    settings = ["listen_addresses=127.0.0.1", f"port={port}", "unix_socket_directories=", *([] if keep else _FAST_SETTINGS)]
    # Run the postmaster as our own child (not daemonised by pg_ctl) so that stopping it
    # also reaps it: no <defunct> postgres left in `ps`.
    with open(folder / "server.log", "ab") as log:  # the postmaster keeps its own copy
        postmaster = subprocess.Popen(
            [_bin("postgres"), "-D", str(data), *[arg for s in settings for arg in ("-c", s)]],
            user=user,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "labkit.services.watchdog", str(os.getpid()), str(folder), *(["--keep"] if keep else [])],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def stop() -> None:
        if postmaster.poll() is None:
            # A server kept for later gets a "fast" shutdown (a checkpoint); a throwaway one,
            # whose files are deleted next, an "immediate" one: a busy disk made its
            # checkpoint take seconds while a stopped `verify` waited for it.
            postmaster.send_signal(signal.SIGINT if keep else signal.SIGQUIT)
            try:
                postmaster.wait(timeout=20)
            except subprocess.TimeoutExpired:
                postmaster.kill()
                postmaster.wait()
        if keep:
            (folder / "owner.pid").unlink(missing_ok=True)  # tells the watchdog to leave
        else:
            ram_disk.remove(folder)
        if watchdog.poll() is None:
            watchdog.terminate()
        watchdog.wait()

    server = PostgresServer(host="127.0.0.1", port=port, password=password, mode="embedded", data_dir=data, _stopper=stop)
    try:
        wait_healthy(server, timeout=30, process=postmaster, log=folder / "server.log")
    except BaseException:
        server.stop()
        raise
    return server


def stop_folder(folder: Path, *, immediate: bool = False, keep: bool = False) -> None:
    """Stop the server whose files are in `folder` and delete them (unless `keep`)."""
    data = folder / "data"
    if (data / "postmaster.pid").exists():
        mode = "immediate" if immediate else "fast"
        try:
            subprocess.run(
                [_bin("pg_ctl"), "-D", str(data), "-m", mode, "-w", "-t", "20", "stop"],
                user=_system_user(),
                capture_output=True,
                timeout=30,
            )
        except subprocess.TimeoutExpired:
            _kill_postmaster(data)
    if keep:
        (folder / "owner.pid").unlink(missing_ok=True)
    else:
        ram_disk.remove(folder)


def _kill_postmaster(data: Path) -> None:
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


def orphans() -> list[Path]:
    """Server folders whose owner process is gone."""
    return _run_folders.orphans("pg")


def reap_orphans() -> int:
    folders = orphans()
    for folder in folders:
        stop_folder(folder, immediate=True)
    ram_disk.sweep()
    return len(folders)


def wait_healthy(
    server: PostgresServer, timeout: float = 20, process: subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not server.healthy():
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"PostgreSQL exited while starting (code {process.returncode}):\n{tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL at {server.host}:{server.port} did not answer within {timeout:.0f} s")
        time.sleep(0.05)

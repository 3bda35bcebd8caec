"""The services a lab needs for a role, each owned or attached, on one ExitStack.

    with compose("lab4", "grade") as services:      # lesson | grade | shared
        env = services.env()                         # known at once, while they start
        server = services["airflow_server"]          # waits until it is healthy

A service is either **owned** (started here, in the background; stopped here, newest first,
however the block ends, once its start has finished) or **attached** (found running: used
here, never stopped here). Two types, not a flag: nothing asks "do I own this?" before
stopping it. Every place that needs services (a lesson's kernel, a grading run, `verify`,
`mutate`, a class's grading, the class demo) composes them here, so starting, exporting and
stopping is written once.

Which services a lab needs comes from its record (labkit/labs.py).
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from labkit import labs

if TYPE_CHECKING:
    from labkit.services.postgres import PostgresServer

log = logging.getLogger(__name__)
T = TypeVar("T")
ROLES = ("lesson", "grade", "shared")


class Owned(Generic[T]):
    """Started here (`future`), stopped here by `close()` once its start has ended."""

    def __init__(self, name: str, future: Future[T], stop: Callable[[T], None], env: Mapping[str, str] | None) -> None:
        self.name, self.future, self._stop, self._env = name, future, stop, env

    def get(self, timeout: float | None = None) -> T:
        return self.future.result(timeout)

    @property
    def error(self) -> BaseException | None:
        """Why it did not start (None while starting or once started)."""
        return self.future.exception() if self.future.done() else None

    def env(self) -> dict[str, str]:
        """Its settings: given up front (known before it answers), or read once it started."""
        if self._env is not None:
            return dict(self._env)
        value = self.get()
        return dict(value.env()) if hasattr(value, "env") else {}

    def close(self) -> None:
        try:
            value = self.future.result()  # a start in flight finishes first, so nothing escapes
        except BaseException:  # a failed start cleaned up after itself (its error: `error`)
            return
        try:
            self._stop(value)
        except Exception:  # stopping must never hide the error that got us here, nor stop the rest
            log.warning("stopping %s failed", self.name, exc_info=True)


class Attached(Generic[T]):
    """Found running (another process owns it): used here, never stopped here."""

    def __init__(self, name: str, value: T, env: Mapping[str, str] | None = None) -> None:
        self.name, self.value, self._env = name, value, env
        self.error: BaseException | None = None

    def get(self, timeout: float | None = None) -> T:
        return self.value

    def env(self) -> dict[str, str]:
        if self._env is not None:
            return dict(self._env)
        return dict(self.value.env()) if hasattr(self.value, "env") else {}

    def close(self) -> None:
        """Its owner stops it."""


class Services:
    """One role's services: closing it stops what it owns, newest first."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._exit = ExitStack()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"start-{role}")
        self._exit.callback(self._pool.shutdown, wait=True)
        self._services: dict[str, Owned[Any] | Attached[Any]] = {}

    def own(self, name: str, start: Callable[[], T], stop: Callable[[T], None] | None = None, *,
            env: Mapping[str, str] | None = None, background: bool = False) -> Owned[T]:
        """Start `name` (in the background, or before returning) and stop it on close
        (`stop`, by default its own `.stop()`).

        `env`: its settings when known before it answers (a child process can be told them
        while the service starts)."""
        if background:
            future = self._pool.submit(start)
        else:
            future = Future()
            future.set_result(start())  # a failed start raises here: nothing to stop
        service = Owned(name, future, stop or _stop, env)
        self._services[name] = service
        self._exit.callback(service.close)
        return service

    def attach(self, name: str, value: T, env: Mapping[str, str] | None = None) -> Attached[T]:
        service = Attached(name, value, env)
        self._services[name] = service
        return service

    def callback(self, function: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Also run this on close (scratch folders: registered first, they go last)."""
        self._exit.callback(function, *args, **kwargs)

    def service(self, name: str) -> Owned[Any] | Attached[Any] | None:
        return self._services.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def __getitem__(self, name: str) -> Any:
        return self._services[name].get()

    def get(self, name: str, default: Any = None) -> Any:
        """The running service `name` (waiting for its start), or `default` if there is none."""
        return self[name] if name in self._services else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._services)

    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for service in self._services.values():
            merged.update(service.env())
        return merged

    def adopt(self, other: Services) -> None:
        """Take over what `other` owns (stopped when this one closes, newest first)."""
        self._services.update(other._services)
        self._exit.push(other._exit.pop_all())

    def close(self) -> None:
        self._exit.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- roles ---------------------------------------------------------------------------------
def compose(lab: str | None, role: str, **options: Any) -> Services:
    """The services `lab` needs as `role`:

    - lesson: what its record lists, for a notebook's kernel (see labkit.stack, which also
      attaches to what `make lab` runs);
    - grade: one grading run's PostgreSQL and live Airflow (attached when given: `server`,
      `airflow_state`), started while pytest imports;
    - shared: what every run of a `verify`, `mutate` or class grading shares (PostgreSQL, and
      a live Airflow when its DAGs do not depend on the graded files).
    """
    if role == "lesson":  # labkit.stack.start gives the same services with a notebook's view of them
        from labkit.stack import start

        return start(lab, export=False, **options).services
    if lab is None:
        raise ValueError(f"the {role} role needs a lab")
    if role == "grade":
        return _grade(lab, **options)
    if role == "shared":
        return _shared(lab, **options)
    raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")


def own_postgres(services: Services, name: str = "postgres", *, background: bool = False) -> Owned[PostgresServer]:
    """A PostgreSQL of our own (embedded, your DSN or Docker); its env is the admin DSN (each
    user makes its own databases). In the background only when embedded: its address is known
    before it answers, so a child can be told at once."""
    from labkit.services import _net, postgres

    if background and not os.environ.get("LABKIT_PG_DSN") and not postgres.docker_available():
        known = postgres.PostgresServer(host="127.0.0.1", port=_net.free_port(), password=secrets.token_urlsafe(16))
        return services.own(name, lambda: postgres.start_embedded(port=known.port, password=known.password),
                            env=admin_env(known), background=True)
    server = postgres.start()
    return services.own(name, lambda: server, env=admin_env(server))


def own_zygotes(services: Services, lab: str) -> Owned[Any]:
    """A pool of grading zygotes preloading what `lab`'s tests import; each starts when a run
    first needs one, and all stop with `services`."""
    from labkit.grading.zygote import ZygotePool

    return services.own("zygotes", lambda: ZygotePool(labs.get(lab).services), env={})


def admin_env(server: Any) -> dict[str, str]:
    return {"LABKIT_PG_ADMIN_DSN": server.dsn("postgres")}


def _stop(service: Any) -> None:
    service.stop()


def _grade(lab: str, *, server: Any = None, airflow_state: Path | None = None, airflow_base: Path | None = None,
           target_files: tuple[Path, ...] = (), reader: int | None = None, with_airflow: bool = True) -> Services:
    from labkit.grading import servers

    services = Services("grade")
    try:
        if server is not None:
            services.attach("postgres", server, env=admin_env(server))
        elif "postgres" in labs.get(lab).services:
            own_postgres(services, background=True)
        if airflow_state is not None:
            # Found running: a test process that finds no state file knows at once it is gone.
            services.attach("airflow_server", airflow_state,
                            env={"LABKIT_AIRFLOW_SERVER": str(airflow_state), servers.RUNNING: "1"})
        elif with_airflow and servers.needs_server(lab):
            servers.own(services, lab, base=airflow_base, target_files=target_files, reader=reader)
    except BaseException:
        services.close()
        raise
    return services


def _shared(lab: str, *, postgres_servers: int = 1, airflow_servers: int = 1) -> Services:
    """PostgreSQL (`postgres`, or `postgres-1`… when several), shareable live Airflows
    (`airflow_server`, `airflow_server-2`…; see servers.SharedAirflows) and the grading
    zygotes that fork the runs' pytest (`zygotes`, see labkit.grading.zygote)."""
    from labkit.grading import servers

    services = Services("shared")
    try:
        if "postgres" in labs.get(lab).services:
            names = ["postgres"] if postgres_servers == 1 else [f"postgres-{n}" for n in range(1, postgres_servers + 1)]
            for name in names:
                own_postgres(services, name, background=True)
        if servers.shareable(lab):
            for n in range(airflow_servers):
                servers.own(services, lab, key=servers.shared_key(n))
        own_zygotes(services, lab)
    except BaseException:
        services.close()
        raise
    return services

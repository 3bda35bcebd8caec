"""The grading zygote itself: imports pytest and Airflow once, then forks grading children.

`python -m labkit.grading.zygote_process SOCKET` (started by labkit.grading.zygote, which
explains the why). It listens on a Unix socket. Each connection asks for one grading child:

    {"argv": [...], "env": {...}, "cwd": "...", "log": "...", "output_limit": N}

and a monitor process, forked for that connection, forks the child and answers with JSON
lines: {"pid": P} once it runs, {"exit": CODE} when it ended (CODE as subprocess gives it:
negative for a signal), or {"refused": WHY} when the request's environment is not the one
Airflow was imported with (Airflow reads its settings at import: a child forked from here
would silently use the zygote's). If the connection closes before the child ended (its
runner was killed, or gave up on it), the monitor kills the child's whole session.

Lifetimes: the zygote leaves when its stdin closes (its owner stopped it, or died), a
monitor dies with the zygote and a child with its monitor (PR_SET_PDEATHSIG). Nothing outlives a SIGKILL of the owner.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import threading
from typing import Any

import labkit  # noqa: F401 - first: it keeps one slow optional import out of every child
from labkit.grading import child_limits

# What every grading child imports before its first test (measured: ~2.5 CPU-s of imports
# out of a lab 1 run's ~10). Whatever is missing here is simply imported by the child.
PRELOAD = (
    "pytest",
    "pytest_timeout",
    "airflow.sdk",
    "airflow.models.dag",
    "airflow.models.dagrun",
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "airflow.api_fastapi.execution_api.app",
    "airflow.api_fastapi.execution_api.routes",  # what inprocess_api reshapes before the first dag.test
    "cadwyn",
    "a2wsgi",
    "airflow.dag_processing.dagbag",
    "airflow.jobs.job",
    "airflow.models.dagwarning",
    "airflow.serialization.serialized_objects",
    "airflow.providers.standard.operators.python",
    "airflow.providers.standard.decorators.python",
    "airflow.providers.postgres.hooks.postgres",
    "airflow.providers.common.sql.hooks.sql",
    "psycopg2",
    "pgserver",
    "yaml",
    "requests",
)
# The same, for labs whose tests use these services.
PRELOAD_BY_SERVICE = {
    "s3": ("boto3", "botocore.client", "moto", "moto.server", "airflow.providers.amazon.aws.hooks.s3"),
    "slack": ("slack_sdk", "airflow.providers.slack.hooks.slack"),
    "sheets": ("gspread", "google.oauth2.service_account"),
}
# Settings a preloaded module may read at import. A request must bring the same values, or it
# is refused (the runner then starts an ordinary child). Connections and variables
# (AIRFLOW_CONN_*, AIRFLOW_VAR_*) are read when they are used, so they may differ per run.
_FROZEN_PREFIXES = ("AIRFLOW", "_AIRFLOW", "PYTHON")
_FROZEN_NAMES = ("TZ", "LANG", "LC_ALL")
_PER_RUN_PREFIXES = ("AIRFLOW_CONN_", "AIRFLOW_VAR_", "PYTHONDONTWRITEBYTECODE")


def frozen_settings(env: dict[str, str]) -> dict[str, str]:
    """The part of `env` that must be the same in a request as at the zygote's imports."""
    return {
        name: value for name, value in env.items()
        if (name.startswith(_FROZEN_PREFIXES) or name in _FROZEN_NAMES) and not name.startswith(_PER_RUN_PREFIXES)
    }


def mismatch(imported: dict[str, str], wanted: dict[str, str]) -> str | None:
    """Why a child with environment `wanted` cannot be forked from a zygote that imported under
    `imported` (both as frozen_settings gives them), or None."""
    names = sorted(name for name in imported.keys() | wanted.keys() if imported.get(name) != wanted.get(name))
    return f"settings differ from the zygote's: {', '.join(names)}" if names else None


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the runner is gone: nobody to tell
        conn.sendall((json.dumps(message) + "\n").encode())


def _read_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("the runner closed the connection before asking")
        data += chunk
    request: dict[str, Any] = json.loads(data)
    return request


def become_child(request: dict[str, Any], monitor: int) -> None:
    """In the forked child: become `python -m pytest ARGS` as the runner asked; never return."""
    code = 1
    try:
        os.setsid()  # a session of its own: the runner stops it (and what it started) as a group
        child_limits.apply(monitor, int(request["output_limit"]))  # as the runner's own children
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        for name in ("SIGCHLD", "SIGINT", "SIGTERM", "SIGPIPE"):
            default = signal.SIG_IGN if name == "SIGPIPE" else signal.SIG_DFL  # as a fresh Python has them
            signal.signal(getattr(signal, name), default)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        sys.path[0] = request["cwd"]  # as `python -m pytest` run from there has it
        import pytest

        args = list(request["argv"])
        sys.argv = [str(getattr(sys.modules.get("pytest.__main__"), "__file__", "pytest")), *args]
        gc.unfreeze()
        code = pytest.console_main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(code))


def monitor(conn: socket.socket, imported: dict[str, str]) -> None:
    """In the forked monitor: fork the child the request asks for, report how it ended, and
    kill its session if the runner goes away first; never return."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # this one waits for its child
        child_limits.die_with_parent()
        request = _read_request(conn)
        why = mismatch(imported, frozen_settings(request["env"]))
        if why:
            _send(conn, {"refused": why})
            os._exit(0)
        me = os.getpid()
        pid = os.fork()
        if pid == 0:
            conn.close()
            become_child(request, me)
        _send(conn, {"pid": pid})
        code = _watch(conn, pid)
        with contextlib.suppress(ProcessLookupError):  # whatever the child left running in its session
            os.killpg(pid, signal.SIGKILL)
        if code is not None:
            _send(conn, {"exit": code})
    finally:
        os._exit(0)


def _watch(conn: socket.socket, pid: int) -> int | None:
    """Wait for the child; its exit code, or None when the runner went away first."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        readable, _, _ = select.select([conn], [], [], 0.1)
        if readable and not conn.recv(1024):  # EOF: the runner is gone or gave up on it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None


def preload(services: list[str]) -> None:
    modules = [*PRELOAD, *(name for service in services for name in PRELOAD_BY_SERVICE.get(service, ()))]
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # the child imports what it needs anyway
            print(f"preload {name}: {error}", file=sys.stderr, flush=True)
    if "s3" in services:  # every S3 client of a run then skips parsing botocore's models
        from labkit.grading import botocore_models

        botocore_models.warm_s3()


def main() -> None:
    path, services = sys.argv[1], sys.argv[2:]
    # No PR_SET_PDEATHSIG here: it follows the *thread* that started us, and owners start
    # zygotes from worker threads. The owner's end of our stdin closes when it dies.
    preload(services)
    if threading.active_count() > 1:  # forking a threaded process can deadlock its children
        print("ZYGOTE-UNSAFE: an import started a thread", flush=True)
        sys.exit(1)
    imported = frozen_settings(dict(os.environ))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket is the owner's alone
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    gc.collect()
    gc.freeze()  # what is imported stays shared with every child (no copy-on-write by the GC)
    print("ZYGOTE-READY", flush=True)
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1024):
            return  # the owner closed our stdin: it stops us
        if listener in readable:
            conn, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                monitor(conn, imported)
            conn.close()


if __name__ == "__main__":
    main()

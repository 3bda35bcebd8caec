"""Start Airflow components by forking one process that imported Airflow once.

Each `airflow scheduler` / `api-server` / … process spends ~5 s of CPU importing Airflow
before it does anything; four of them on two cores take ~15 s to be healthy. This process
pays the import once, then forks a component per request (gunicorn's "preload" idea):
healthy in ~8 s. Tasks gain too: each runs in a fork of a LocalExecutor worker, itself a
fork of the scheduler, so what is preloaded here is never imported per task (lab 5's
scheduler work: ~23 s → ~8 s). Requests arrive on stdin, one JSON object per line:

    {"args": ["scheduler"], "log": "/path/scheduler.log", "env": {"NAME": "value"}}

("env", optional: what this component's environment adds, such as a Celery worker's name.)

and each answer is a line `ZYGOTE-PID <pid>` on stdout (other lines are noise from
imports). A forked component starts its own session, so it can be stopped as a group and
outlives this process, which its owner stops once everything has started.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys

# What the components import on their way up; the CLI loads its commands lazily.
PRELOAD = (
    "airflow.__main__",
    "airflow.cli.commands.scheduler_command",
    "airflow.cli.commands.api_server_command",
    "airflow.cli.commands.dag_processor_command",
    "airflow.cli.commands.triggerer_command",
    "airflow.jobs.scheduler_job_runner",
    "airflow.jobs.triggerer_job_runner",
    "airflow.executors.local_executor",
    "airflow.dag_processing.manager",
    "airflow.api_fastapi.app",
    "uvicorn",
    # Every task runs in a child forked from a LocalExecutor worker, itself forked from the
    # scheduler: what is imported here, no task imports again (the task runner, the
    # operators the labs use). Lab 5's scheduler tests run ~13 tasks on two cores.
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "airflow.sdk",
    "airflow.providers.standard.operators.empty",
    "airflow.providers.standard.operators.latest_only",
    "airflow.providers.standard.operators.python",
    "airflow.providers.standard.operators.trigger_dagrun",
    "airflow.providers.standard.sensors.external_task",
    "airflow.providers.standard.decorators.python",
    "airflow.sdk.definitions.decorators",
    "airflow.dag_processing.bundles.local",
)


def run_component(args: list[str], log: str) -> None:
    """In the forked child: become `airflow <args>` writing to `log`, and never return."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the component reaps its own children
    sys.argv = ["airflow", *args]
    code = 1
    try:
        from airflow.__main__ import main

        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as error:  # a component imports what it needs anyway
            print(f"preload {name}: {error}", file=sys.stderr)
    from airflow.cli import cli_parser

    cli_parser.get_parser()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies while we live
    print("ZYGOTE-READY", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os.environ.update(request.get("env", {}))  # Airflow reads AIRFLOW__* at each use
            run_component(request["args"], request["log"])
        print("ZYGOTE-PID", pid, flush=True)


if __name__ == "__main__":
    main()

"""Small helpers the kit's own tests share (no fixtures here: plain functions)."""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from labkit.paths import DAGS

REFERENCE = DAGS / "lab1_dedupe_upsert.py"

# Keys a parent stack (`make lab`, a notebook kernel) exports; a test that wants a fresh
# process removes them so it never attaches to someone else's services by accident.
STACK_PREFIXES = ("LABKIT_STACK_", "LABKIT_PG_", "LABKIT_WAREHOUSE_", "LABKIT_WEATHER_", "LABKIT_S3_", "AIRFLOW_")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(STACK_PREFIXES)}
    env.update(extra)
    return env


def postgres_processes(folder_part: str) -> list[str]:
    """`postgres -D …` command lines whose data folder path contains `folder_part`."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        args = line.split()
        if len(args) < 4 or not Path(args[1]).name == "postgres" or "-D" not in args:
            continue
        data = args[args.index("-D") + 1]
        if folder_part in data:
            found.append(line.strip())
    return found


def postmaster_pid(data_dir: Path) -> int:
    """The first line of postmaster.pid is the server's process id."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()

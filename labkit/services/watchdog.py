"""Stops a service when the process that started it dies.

    python -m labkit.services.watchdog OWNER_PID FOLDER             embedded PostgreSQL
    python -m labkit.services.watchdog OWNER_PID FOLDER --keep      … whose data is kept (the demo's)
    python -m labkit.services.watchdog OWNER_PID STATE --airflow    a local Airflow server
    python -m labkit.services.watchdog OWNER_PID FOLDER --redis     embedded Redis

It imports nothing heavy, polls once a second, and exits as soon as the folder (or the
Airflow state file, or a kept server's owner.pid) is gone: that is a normal stop by the owner.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def main(owner: int, path: Path, *, airflow: bool = False, keep: bool = False, redis: bool = False) -> None:
    from labkit.services._net import process_alive

    while (path / "owner.pid").exists() if keep else path.exists():
        if not process_alive(owner):
            if airflow:
                from labkit.services.airflow_server import stop_state

                stop_state(path)
            elif redis:
                from labkit.services.redis import stop_folder as stop_redis

                stop_redis(path)
            else:
                from labkit.services.postgres import stop_folder

                stop_folder(path, immediate=not keep, keep=keep)
            return
        time.sleep(1.0)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), airflow="--airflow" in sys.argv[3:], keep="--keep" in sys.argv[3:],
         redis="--redis" in sys.argv[3:])

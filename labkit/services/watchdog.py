"""Stops an embedded PostgreSQL when the process that started it dies.

Run as `python -m labkit.services.watchdog OWNER_PID FOLDER`. It imports nothing heavy,
polls once a second, and exits as soon as the folder is gone (a normal stop).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


def main(owner: int, folder: Path) -> None:
    from labkit.services._net import process_alive

    while folder.exists():
        if not process_alive(owner):
            from labkit.services.postgres import stop_folder

            stop_folder(folder, immediate=True)
            return
        time.sleep(1.0)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))

"""Lab 6 · delete old log files every day, from the log folders Airflow is configured with.

Task logs (`[logging] base_log_folder`) and the DAG processor's logs
(`[logging] dag_processor_child_process_log_directory`, inside the first by default) grow
with every run: a busy Airflow fills its disk in weeks. The course's DAG ran `find … -exec
rm -rf` on hard-coded EC2 paths; this one reads the folders from Airflow's configuration,
judges each file by its own age, can dry-run, and reports what it freed.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum

from airflow.sdk import Param, conf, dag, task

from backups.logs import cleanup_logs


def log_folders() -> list[Path]:
    """The configured log folders, without one nested in another (it is cleaned with its parent)."""
    folders = [Path(conf.get("logging", "base_log_folder")),
               Path(conf.get("logging", "dag_processor_child_process_log_directory"))]
    resolved = sorted({folder.resolve() for folder in folders})
    return [f for f in resolved if not any(other != f and f.is_relative_to(other) for other in resolved)]


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "older_than_days": Param(30, type="integer", minimum=1),
        "dry_run": Param(False, type="boolean", description="report what would go, delete nothing"),
    },
    tags=["lab6"],
)
def lab6_cleanup_logs():
    @task
    def cleanup(params: dict | None = None) -> dict:
        total = {"files": 0, "bytes": 0, "folders": 0, "dry_run": bool(params["dry_run"])}
        for folder in log_folders():
            report = cleanup_logs(folder, timedelta(days=int(params["older_than_days"])), dry_run=bool(params["dry_run"]))
            print(report.summary())
            total["files"] += len(report.files)
            total["bytes"] += report.bytes_freed
            total["folders"] += len(report.folders)
        return total

    cleanup()


lab6_cleanup_logs()

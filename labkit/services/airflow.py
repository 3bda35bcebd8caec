"""A local Airflow 3.3 for lessons and grading: an AIRFLOW_HOME under `.labkit/airflow/`.

The metadata DB (SQLite) is migrated once into a template and copied for every new home
with SQLite's backup API (milliseconds, where `airflow db migrate` costs ~9 s). Each home
gets its own DAGs folder holding only the DAGs under test: `dag.test()` syncs every DAG
in the folder, so a student's broken lab 2 never disturbs the grading of lab 1.

This module never imports Airflow itself (that costs ~5 s); it prepares the environment
that processes importing Airflow will read.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from labkit.paths import DAGS, state_dir

log = logging.getLogger(__name__)

QUIET = "WARNING"


def airflow_version() -> str:
    return version("apache-airflow")


def root() -> Path:
    path = state_dir() / "airflow"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class AirflowHome:
    path: Path
    dags_folder: Path

    @property
    def db_path(self) -> Path:
        return self.path / "airflow.db"

    def env(self) -> dict[str, str]:
        return {
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            # A writer waits up to 30 s for the lock, not sqlite3's 5 s: on a busy machine the
            # scheduler can hold it that long, and the API would answer 500 "Database error".
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}?timeout={lock_wait()}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("LABKIT_AIRFLOW_LOG_LEVEL", QUIET),
            # Small machines: do not pre-fork 32 workers.
            "AIRFLOW__CORE__PARALLELISM": "4",
            # The course taught UTC everywhere; so does the kit.
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
            # Parse every file in the DAGs folder: safe mode skips one that never says
            # "airflow" and "dag", silently (no DAG, and no import error to explain why).
            "AIRFLOW__CORE__DAG_DISCOVERY_SAFE_MODE": "False",
            # Lab 2's summary configs, for the reference and every student's copy alike.
            "SUMMARY_CONFIG_DIR": str(DAGS / "config" / "summaries"),
        }

    def link_dags(self, *files: Path) -> None:
        """Make the DAGs folder hold exactly these files (symlinks, so edits show at once)."""
        if self.dags_folder.exists():
            shutil.rmtree(self.dags_folder)
        self.dags_folder.mkdir(parents=True)
        for file in files:
            target = self.dags_folder / file.name
            target.symlink_to(file.resolve(), target_is_directory=file.is_dir())


def lock_wait() -> float:
    """Seconds a writer waits for the SQLite lock (LABKIT_SQLITE_LOCK_WAIT; tests shorten it)."""
    return float(os.environ.get("LABKIT_SQLITE_LOCK_WAIT", "30"))


def template_db() -> Path:
    """A migrated metadata DB for this Airflow version, made once (~8 s) and reused.

    A template that is not a migrated Airflow DB (a 0-byte file from a full disk, a file
    overwritten by mistake) would give every new home a database without tables, and every
    run would fail far from the cause: it is rebuilt, and the log says why.
    """
    path = root() / f"template-{airflow_version()}.db"
    if path.exists() and not template_problem(path):
        return path
    # Two builders at once (a grading run prepares its home while its live Airflow starts)
    # would migrate into the same scratch folder: the second waits for the first.
    with open(root() / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        problem = template_problem(path) if path.exists() else None
        if problem:
            log.warning("The Airflow template DB %s %s: rebuilding it (~10 s).", path, problem)
            path.unlink()
        if not path.exists():
            _build_template(path)
    return path


def template_problem(path: Path) -> str | None:
    """Why `path` is not a migrated Airflow metadata DB, or None when it is one."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
            db.execute("SELECT count(*) FROM dag_run").fetchone()
    except sqlite3.DatabaseError as err:  # "file is not a database", "no such table: …"
        return f"is not a migrated Airflow database ({err})"
    if len(rows) != 1 or not rows[0][0]:
        return "has no schema version (alembic_version is empty)"
    return None


def _build_template(path: Path) -> None:
    """Migrate a fresh DB in a scratch home, then copy it to `path` (atomically)."""
    scratch = root() / "template-build"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    home = AirflowHome(scratch, scratch / "dags")
    home.dags_folder.mkdir()
    env = {**os.environ, **home.env()}
    result = subprocess.run(
        [sys.executable, "-c", "from airflow.utils.db import initdb; initdb()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError("migrating the Airflow metadata DB failed:\n" + result.stderr[-3000:])
    tmp = path.with_suffix(".tmp")
    _sqlite_copy(home.db_path, tmp)
    tmp.rename(path)  # atomic: a half-built template is never used
    shutil.rmtree(scratch, ignore_errors=True)


def prepare(name: str, dags: list[Path] | None = None, *, fresh: bool = True, base: Path | None = None) -> AirflowHome:
    """An AIRFLOW_HOME named `name` (under `base`, default .labkit/airflow) with a migrated
    DB and a DAGs folder holding `dags`."""
    path = (base or root()) / name
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    home = AirflowHome(path, path / "dags")
    if not home.db_path.exists():
        _sqlite_copy(template_db(), home.db_path)
    home.link_dags(*(dags or []))
    return home


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite DB with its backup API (a plain file copy of a live DB corrupts it)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()

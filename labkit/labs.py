"""One record per lab: everything the kit needs to know about a lab, in one place.

Lessons (`labkit.stack`), grading (`labkit.grading`), the class demo (`labkit.demo`) and
releases read a lab's record here; nothing else lists labs. Adding a lab is its record
below, its files (`dags/labN_*.py`, `notebooks/labN_*.lesson.py`) and its tests
(`tests/labN/`). Points stay with the tests that award them (`@pytest.mark.points`): one
place for each fact.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from labkit.paths import DAGS

_GIVEN_DAGS = Path(__file__).resolve().parent / "data" / "dags"  # DAGs the kit provides, not graded

# 25 do-nothing DAGs: with them, lab 4's API has more than a page of DAGs to list.
FLEET = _GIVEN_DAGS / "lab4_fleet.py"
# A DAG that fails on purpose, so the class demo shows lab 3's alert (not part of any lab).
DEMO_ALERT_DRILL = _GIVEN_DAGS / "demo_alert_drill.py"


@dataclass(frozen=True)
class LiveAirflow:
    """A live Airflow (API server, scheduler, dag processor, triggerer) a lab's tests drive."""

    dags: tuple[Path, ...] = ()  # always in its DAGs folder (given DAGs, test fixtures)
    settings: Mapping[str, str] = field(default_factory=dict)  # on top of the lab's airflow_settings
    # True when the scheduler must run the graded target's own DAG files (the student's):
    # each grading run then needs its own server, and verify cannot share one.
    runs_target: bool = False

    def dag_files(self, target_files: Sequence[Path] = ()) -> list[Path]:
        return [*self.dags, *(target_files if self.runs_target else ())]


@dataclass(frozen=True)
class DemoStep:
    """One DAG run of `make demo-run`."""

    dag_id: str
    after: tuple[str, ...] = ()  # start once these succeeded
    shift: timedelta = timedelta(0)  # logical date = the demo day + shift
    conf: Mapping[str, Any] = field(default_factory=dict)
    started_by: str | None = None  # not triggered here: that DAG's run starts it (same day)


@dataclass(frozen=True)
class Lab:
    name: str  # "lab1": the prefix of its DAG files, folders and tests
    # What its lesson talks to (see labkit.stack): postgres, s3, weather_api, slack, sheets,
    # airflow (a home for dag.test()), airflow_server (a live Airflow), metadata_db.
    services: tuple[str, ...]
    # Packages in dags/ whose modules the student writes too (the rest of dags/ is reference).
    packages: tuple[str, ...] = ()
    lesson_dags: tuple[Path, ...] = ()  # DAGs its lesson's Airflow holds besides the lab's own
    airflow_settings: Mapping[str, str] = field(default_factory=dict)  # its live Airflow's, everywhere
    graded_airflow: LiveAirflow | None = None  # a live Airflow its graded tests need, if any
    demo: tuple[DemoStep, ...] = ()  # its DAG runs in `make demo-run`, in order

    def server_settings(self) -> dict[str, str]:
        """The settings of the live Airflow its graded tests drive."""
        extra = self.graded_airflow.settings if self.graded_airflow else {}
        return {**self.airflow_settings, **extra}


_LABS = (
    Lab("lab1", services=("postgres", "weather_api", "airflow"), demo=(DemoStep("lab1_dedupe_upsert"),)),
    Lab("lab2", services=("postgres", "airflow"), demo=(DemoStep("lab2_nps_summary"),)),
    Lab(
        "lab3",
        services=("postgres", "s3", "slack", "sheets", "airflow"),
        packages=("common",),
        demo=(DemoStep("lab3_sheet_to_warehouse"), DemoStep("lab3_sql_to_sheet", after=("lab2_nps_summary",))),
    ),
    Lab(
        "lab4",
        services=("slack", "airflow_server"),
        packages=("monitoring",),
        lesson_dags=(FLEET,),
        graded_airflow=LiveAirflow(
            dags=(DAGS / "lab4_triggered_report.py", FLEET),
            # Ten per page: with 26 DAGs, a client that ignores pagination sees it at once.
            settings={"AIRFLOW__API__MAXIMUM_PAGE_LIMIT": "10", "AIRFLOW__API__FALLBACK_PAGE_LIMIT": "10"},
        ),
        demo=(DemoStep("lab4_triggered_report", conf={"region": "emea", "requested_by": "make demo-run"}),),
    ),
    Lab(
        "lab5",
        services=("airflow_server",),
        # Four task slots: a trigger that waits holds one while the run it waits for needs another.
        airflow_settings={"AIRFLOW__CORE__PARALLELISM": "4"},
        # The scheduler runs the student's own DAGs: what waits for what, backfills, LatestOnly.
        graded_airflow=LiveAirflow(runs_target=True),
        demo=(
            DemoStep("lab5_orders_pipeline"),
            DemoStep("lab5_orders_report", started_by="lab5_orders_pipeline"),
            # Three DAGs trigger lab5_orders_report, each for its own day.
            DemoStep("lab5_orders_pipeline_and_wait", shift=timedelta(days=-1)),
            # Sensors start after their upstream ran: they then find it at the first poke.
            DemoStep("lab5_finance_daily", after=("lab5_orders_pipeline",)),
            DemoStep("lab5_finance_at_one", after=("lab5_orders_pipeline",), shift=timedelta(hours=1)),
            DemoStep("lab5_branching", shift=timedelta(days=-2)),
            DemoStep("lab5_latest_only"),
        ),
    ),
    Lab(
        "lab6",
        # The lesson's Airflow runs on a real metadata DB in PostgreSQL (what it backs up).
        services=("postgres", "s3", "airflow", "metadata_db"),
        packages=("backups",),
        demo=(
            DemoStep("lab6_backup_metadata"),
            DemoStep("lab6_restore_drill", after=("lab6_backup_metadata",)),
            DemoStep("lab6_cleanup_logs"),
        ),
    ),
)
LABS: Mapping[str, Lab] = MappingProxyType({lab.name: lab for lab in _LABS})


def get(name: str) -> Lab:
    try:
        return LABS[name]
    except KeyError:
        raise ValueError(f"unknown lab {name!r}: expected one of {', '.join(LABS)}") from None


def owner_of(filename: str) -> Lab:
    """The lab a file belongs to: `lab1_dedupe_upsert.py` → lab1, `common/alerts.py` → lab3."""
    first = Path(filename).parts[0]
    for lab in LABS.values():
        if first.startswith(f"{lab.name}_") or first in lab.packages:
            return lab
    raise ValueError(f"no lab owns {filename!r}: a lab's files are named labN_… or sit in its packages")


def all_packages() -> tuple[str, ...]:
    return tuple(sorted({package for lab in LABS.values() for package in lab.packages}))


def demo_plan() -> tuple[DemoStep, ...]:
    """Every lab's demo runs, lab by lab (a step waits only for earlier labs' runs)."""
    return tuple(step for lab in LABS.values() for step in lab.demo)

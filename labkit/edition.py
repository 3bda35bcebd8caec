"""Which edition this checkout is: the instructor's (with solutions) or a student edition.

`labkit release --student-kit DIR` writes `.labkit-edition` containing "student" there.
Code that needs the reference (verify, the lessons' demo of the reference) asks here.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

from labkit.paths import DAGS, ROOT, lab_dir

MARKER = ".labkit-edition"


def is_student_edition(root: Path = ROOT) -> bool:
    marker = root / MARKER
    return marker.exists() and marker.read_text().strip() == "student"


def lesson_module(lab: str, filename: str) -> tuple[ModuleType, Path]:
    """The module a lesson demonstrates: the reference, or in a student edition your own file.

    `filename` may name a module of the lab's package (`common/alerts.py`); it is imported
    as `common.alerts` from the same folder the DAG files import it from.
    """
    from labkit.grading.loader import load_module

    folder = lab_dir(lab) if is_student_edition() else DAGS
    path = folder / filename
    parts = Path(filename).with_suffix("").parts
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # as Airflow does: DAG files import `common.…` from here
    return load_module(path, ".".join(parts), folder if len(parts) > 1 else None), path

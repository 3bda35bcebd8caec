"""Which edition this checkout is: the instructor's (with solutions) or a student edition.

`labkit release --student-kit DIR` writes `.labkit-edition` containing "student" there.
Code that needs the reference (verify, the lessons' demo of the reference) asks here.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from labkit.paths import DAGS, ROOT, lab_dir

MARKER = ".labkit-edition"


def is_student_edition(root: Path = ROOT) -> bool:
    marker = root / MARKER
    return marker.exists() and marker.read_text().strip() == "student"


def lesson_module(lab: str, filename: str) -> tuple[ModuleType, Path]:
    """The module a lesson demonstrates: the reference, or in a student edition your own file."""
    path = lab_dir(lab) / filename if is_student_edition() else DAGS / filename
    spec = importlib.util.spec_from_file_location(Path(filename).stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # @dataclass and friends look the module up while it runs
    spec.loader.exec_module(module)
    return module, path

"""Where the kit keeps things: the repository root and its private state folder."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
LABS = ROOT / "labs"
TESTS = ROOT / "tests"
NOTEBOOKS = ROOT / "notebooks"


def state_dir() -> Path:
    """`.labkit/` holds everything the kit makes at run time; it is git-ignored."""
    path = Path(os.environ.get("LABKIT_STATE_DIR", ROOT / ".labkit"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def lab_dir(lab: str) -> Path:
    """`lab1` -> labs/lab1_dedupe_upsert (the one folder whose name starts with it)."""
    matches = sorted(LABS.glob(f"{lab}_*"))
    if not matches:
        raise FileNotFoundError(f"no folder labs/{lab}_* (labs are named lab1 … lab6)")
    return matches[0]

"""Run folders of embedded servers (`.labkit/run/<kind>-<owner pid>-<id>/`) and finding the
ones whose owner died: PostgreSQL and Redis keep their files and their owner.pid there."""
from __future__ import annotations

from pathlib import Path

from labkit.paths import state_dir
from labkit.services._net import process_alive


def run_root() -> Path:
    path = state_dir() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def owner_of(folder: Path) -> int:
    """The pid in its owner.pid, or, while it is being created (the folder exists before its
    owner.pid: servers start side by side), the one its name carries; -1 if neither."""
    try:
        return int((folder / "owner.pid").read_text())
    except (OSError, ValueError):
        try:
            return int(folder.name.split("-")[1])
        except (IndexError, ValueError):
            return -1


def orphans(prefix: str) -> list[Path]:
    """Folders `<prefix>-*` whose owner process is gone."""
    return [folder for folder in sorted(run_root().glob(f"{prefix}-*"))
            if (owner := owner_of(folder)) <= 0 or not process_alive(owner)]

"""Age-based log cleanup that never leaves the log folder.

The course ran `find <dir> -mindepth 2 -mtime +1 -exec rm -rf {} \\;`: it judged whole
folders by their own mtime (a folder's mtime changes only when an entry is added or
removed, so a folder holding today's log can look old and go with it), had no dry run,
said nothing about what it freed, and `rm -rf` follows nothing but trusts everything.

Here each **file** is judged by its own age, a dry run reports without deleting, the
report says how many files and bytes, folders left empty are removed, and a symbolic link
is never followed (nor deleted): what it points to may be outside the log folder.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path


@dataclass
class CleanupReport:
    base: Path
    dry_run: bool
    files: list[Path] = field(default_factory=list)  # deleted (or, in a dry run, to delete)
    bytes_freed: int = 0
    folders: list[Path] = field(default_factory=list)  # emptied folders removed
    kept: int = 0

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"{self.base}: {verb} {len(self.files)} file(s), {self.bytes_freed:,} bytes; "
                f"{len(self.folders)} empty folder(s) removed; {self.kept} file(s) kept")


def cleanup_logs(base: Path, older_than: timedelta, *, now: datetime | None = None, dry_run: bool = False) -> CleanupReport:
    """Delete the files under `base` last modified more than `older_than` before `now`."""
    base = Path(base).resolve()
    report = CleanupReport(base, dry_run)
    if not base.is_dir():
        return report
    cutoff = (now or datetime.now(timezone.utc)).timestamp() - older_than.total_seconds()
    # BEGIN SOLUTION: os.walk(base, topdown=False, followlinks=False); for each file entry lstat it: skip symlinks (count them kept), delete regular files whose st_mtime < cutoff (unless dry_run) adding them and st_size to the report; then, still bottom-up, rmdir each folder below base that is now empty (not in a dry run; never base itself, never a symlink)
    for folder, _dirs, files in os.walk(base, topdown=False, followlinks=False):
        here = Path(folder)
        for name in files:
            path = here / name
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:
                report.kept += 1
                continue
            if not dry_run:
                path.unlink()
            report.files.append(path)
            report.bytes_freed += info.st_size
        if here != base and not dry_run and not here.is_symlink() and not any(here.iterdir()):
            here.rmdir()
            report.folders.append(here)
    # END SOLUTION
    return report

"""A class's submissions: one folder or one .zip per student, copied somewhere safe.

    submissions/
      alice/labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py
      bob.zip            (holding labs/lab1_… or lab1_dedupe_upsert/… or just the file)
      carol/lab1_dedupe_upsert.py

Each is copied (or unzipped) into its own work folder before grading, so a submission
that writes into its own folder changes the copy, never the original. Zips are checked
before extraction: no absolute paths or `..`, no links, and size and file-count limits
(a zip bomb is refused with a reason, not extracted). A folder gets the same limits,
counted before anything is copied: a 1 GB file in a student's folder must not fill the
grader's disk any more than a zip bomb may.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILES = 2000
MAX_BYTES = 5 * 2**20  # uncompressed, zip or folder; a lab's folder is ≤ 150 KB
SKIPPED_DIRS = {".git", ".venv", ".labkit", "__pycache__", "node_modules", ".ipynb_checkpoints"}
SKIP = shutil.ignore_patterns(*SKIPPED_DIRS, "*.pyc")


@dataclass
class Submission:
    student: str
    source: Path
    problem: str = ""  # set when it could not be unpacked: graded as 0 with this reason


def student_name(path: Path) -> str:
    name = path.name.removesuffix(".zip")
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name).strip("._") or "unnamed"


def discover(folder: Path) -> list[Submission]:
    """Every student folder or zip directly inside `folder`, sorted by name."""
    if not folder.is_dir():
        raise FileNotFoundError(f"no submissions folder {folder}")
    found, seen = [], set()
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix == ".zip"):
            continue
        name = student_name(path)
        if name in seen:  # alice/ and alice.zip: keep both, visibly
            name = f"{name}-{path.suffix.lstrip('.') or 'dir'}"
        seen.add(name)
        found.append(Submission(name, path))
    return found


def check_limits(what: str, files: int, size: int, *, counted_all: bool = True) -> None:
    """The one rule for zips and folders alike: at most MAX_FILES files and MAX_BYTES.
    `counted_all`: False while a folder is still being walked (the count is a lower bound)."""
    if files > MAX_FILES:
        count = f"{files} files" if counted_all else f"more than {MAX_FILES} files"
        raise ValueError(f"the {what} holds {count} (limit {MAX_FILES})")
    if size > MAX_BYTES:
        raise ValueError(f"the {what} holds more than {MAX_BYTES // 2**20} MB (a lab is a few KB: "
                         "hand in the lab's folder only, without data files)")


def _measure_folder(folder: Path) -> None:
    """Count a folder's files and bytes as they would be copied, stopping past the limits."""
    files = size = 0
    for root, dirs, names in os.walk(folder):  # never follows links: they are dropped anyway
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in names:
            path = Path(root, name)
            if name.endswith(".pyc") or path.is_symlink():
                continue
            files += 1
            size += path.stat().st_size
            check_limits("folder", files, size, counted_all=False)


def unpack(submission: Submission, target: Path) -> Path:
    """Copy or unzip the submission into `target` (created). Returns `target`."""
    if submission.source.is_dir():
        _measure_folder(submission.source)
    target.mkdir(parents=True, exist_ok=False)
    if submission.source.is_dir():
        shutil.copytree(submission.source, target, ignore=SKIP, symlinks=True, dirs_exist_ok=True)
        for path in list(target.rglob("*")):
            if path.is_symlink():  # a link could point anywhere on the grader's disk
                path.unlink()
        return target
    with zipfile.ZipFile(submission.source) as archive:
        members = archive.infolist()
        check_limits("zip", len(members), sum(m.file_size for m in members))
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(f"the zip holds an unsafe path: {member.filename}")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise ValueError(f"the zip holds a symbolic link: {member.filename}")
            if any(part in {".git", "__pycache__", ".venv"} for part in name.parts):
                continue
            archive.extract(member, target)
    return target

"""`make submit [lab3]`: one zip per lab to hand in, in the layout `labkit grade` accepts.

    submit/lab1-<you>.zip
        labs/lab1_dedupe_upsert/…    every file of the lab's folder, and nothing else
        MANIFEST.json                files with SHA-256, kit version, your last local score

The zip holds only the lab's own folder: no `.labkit/`, no notebooks, no other lab. The
manifest says which files your last local score (`make test`, `check()`) was for, so you
and your instructor can tell whether the zip is what you last graded.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import logging
import re
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from labkit.grading.report import LabResult, result_path
from labkit.grading.submissions import MAX_BYTES, MAX_FILES
from labkit.grading.targets import Target, relative
from labkit.paths import ROOT, lab_dir

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


class SubmitError(ValueError):
    """The lab's folder cannot be handed in as it is (a link, too many files, too big)."""


@dataclass
class Submitted:
    lab: str
    zip: Path
    files: int
    last_score: dict[str, Any] | None  # {"score", "max_score", "same_files"} or None

    def summary(self) -> str:
        where = relative(self.zip)
        if self.last_score is None:
            note = "no local score yet: run `make test " + self.lab + "` to see yours"
        elif self.last_score["same_files"]:
            note = f"your last local score for these files: {self.last_score['score']:g}/{self.last_score['max_score']:g}"
        else:
            note = (f"your last local score ({self.last_score['score']:g}/{self.last_score['max_score']:g}) was for "
                    f"an older version of your files: run `make test {self.lab}` to see the current one")
        return f"{self.lab}: {where} ({self.files} files) · {note}"


def student_id(given: str | None = None) -> str:
    """Who is handing in: `STUDENT=…`, else git's user.email, else the login name."""
    if given:
        return given
    try:
        email = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, timeout=5, cwd=ROOT)
        if email.returncode == 0 and email.stdout.strip():
            return email.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return getpass.getuser()


def safe_name(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", student).strip("._") or "student"


def lab_folder_files(folder: Path) -> list[Path]:
    """Every file the lab's folder holds, minus caches; a symbolic link is refused."""
    found = []
    for path in sorted(folder.rglob("*")):
        inside = path.relative_to(folder).parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in inside):
            continue
        if path.is_symlink():
            raise SubmitError(f"{relative(path)} is a symbolic link: replace it with the file itself")
        if path.is_file():
            found.append(path)
    if len(found) > MAX_FILES:
        raise SubmitError(f"{relative(folder)} holds {len(found)} files; a submission may hold {MAX_FILES}")
    size = sum(p.stat().st_size for p in found)
    if size > MAX_BYTES:
        raise SubmitError(f"{relative(folder)} holds {size / 2**20:.0f} MB; a submission may hold {MAX_BYTES // 2**20} MB")
    return found


def last_local_score(lab: str) -> dict[str, Any] | None:
    """The last whole-lab score of the student's files, and whether it was for today's files."""
    path = result_path(lab, "student")
    try:
        result = LabResult.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    same = bool(result.files_sha256) and result.files_sha256 == Target.parse("student").fingerprints(lab)
    return {"score": result.score, "max_score": result.max_score, "graded_at": _mtime(path), "same_files": same}


def submit(lab: str, *, out: Path | None = None, student: str | None = None) -> Submitted:
    folder = lab_dir(lab)
    files = lab_folder_files(folder)
    who = student_id(student)
    out = out or ROOT / "submit"
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{lab}-{safe_name(who)}.zip"
    score = last_local_score(lab)
    manifest = {
        "kit": "airflow-lab-kit",
        "kit_version": _kit_version(),
        "lab": lab,
        "student": who,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": [
            {"path": f"labs/{folder.name}/{p.relative_to(folder).as_posix()}", "bytes": p.stat().st_size,
             "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
            for p in files
        ],
        "last_local_score": score,
    }
    staged = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(staged, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, f"labs/{folder.name}/{path.relative_to(folder).as_posix()}")
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
    staged.replace(target)  # a zip is either whole or not there
    log.info("wrote %s (%d files)", target, len(files))
    return Submitted(lab, target, len(files), score)


def read_manifest(archive: Path) -> dict[str, Any] | None:
    """The manifest of a zip `submit` wrote (None for any other zip)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            manifest: dict[str, Any] = json.loads(zf.read(MANIFEST))
            return manifest
    except (KeyError, OSError, ValueError, zipfile.BadZipFile):
        return None


def _kit_version() -> str:
    try:
        return version("labkit")
    except PackageNotFoundError:
        return "unknown"


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")

"""Which files a grading run tests: the student's starter, the reference, or something else.

    student    labs/lab1_dedupe_upsert/lab1_dedupe_upsert.py   (the default)
    reference  dags/lab1_dedupe_upsert.py
    <file>     one .py file standing in for the lab's only file
    <folder>   a submission: a folder holding labs/lab1_*/… or lab1_*/… or the files themselves

A lab's files are its DAG files (`dags/labN_*.py`) and, for some labs, a package of
helpers the student also writes (lab 3's `common/`: alerts and Sheets clients; lab 4's
`monitoring/`: a REST API client and a health monitor). The
student's lab folder mirrors `dags/`, so `from common.alerts import ...` finds the
student's own package when their files are graded.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from labkit import labs
from labkit.paths import DAGS, LABS, ROOT

KNOWN = ("student", "reference")


class BadTarget(ValueError):
    """A --target that names nothing this lab can grade: said in one line, not a traceback."""


@dataclass(frozen=True)
class Target:
    kind: str  # student | reference | file | submission
    path: Path | None = None

    @classmethod
    def parse(cls, value: str | None) -> Target:
        value = (value or "student").strip()
        if value in KNOWN:
            return cls(value)
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        if path.is_file():
            return cls("file", path)
        if path.is_dir():
            return cls("submission", path)
        raise BadTarget(f"--target must be 'student', 'reference', a .py file or a folder; {value!r} is none of these")

    @property
    def label(self) -> str:
        return self.kind if self.path is None else f"{self.kind}:{self.path.name}"

    def __str__(self) -> str:
        return self.kind if self.path is None else str(self.path)

    def lab_file(self, lab: str, filename: str) -> Path:
        """Where this target keeps `filename` of `lab` (e.g. lab1, lab1_dedupe_upsert.py)."""
        if self.kind == "reference":
            return DAGS / filename
        if self.kind == "file":
            assert self.path is not None
            return self.path
        folder_name = _lab_folder_name(lab)
        if self.kind == "student":
            return LABS / folder_name / filename
        assert self.path is not None
        for candidate in (
            self.path / "labs" / folder_name / filename,
            self.path / folder_name / filename,
            self.path / filename,
        ):
            if candidate.exists():
                return candidate
        return self.path / "labs" / folder_name / filename  # reported as missing by the loader

    def lab_files(self, lab: str) -> list[Path]:
        """Every file of `lab` for this target (what the DAGs folder of its Airflow home holds)."""
        names = lab_filenames(lab)
        if self.kind == "file" and len(names) > 1:
            raise BadTarget(f"{lab} is graded on {len(names)} files ({', '.join(names)}): one .py file cannot stand for "
                            f"them all; give the folder that holds them (e.g. labs/{_lab_folder_name(lab)})")
        return [self.lab_file(lab, name) for name in names]

    def fingerprints(self, lab: str) -> dict[str, str]:
        """SHA-256 of every Python file graded for `lab` (`common/alerts.py` → hex digest):
        a score can then say which version of the files it belongs to."""
        found: dict[str, str] = {}
        for name, path in zip(lab_filenames(lab), self.lab_files(lab), strict=True):
            files = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.is_file() else []
            for file in files:
                key = f"{name}/{file.relative_to(path).as_posix()}" if path.is_dir() else name
                found[key] = hashlib.sha256(file.read_bytes()).hexdigest()
        return found


def _lab_folder_name(lab: str) -> str:
    matches = sorted(LABS.glob(f"{lab}_*"))
    if not matches:
        raise ValueError(f"unknown lab {lab!r}: no labs/{lab}_* folder")
    return matches[0].name


def lab_filenames(lab: str) -> list[str]:
    """The lab's files: its DAG files named labN_*.py, then its packages (folder names)."""
    return [path.name for path in sorted(DAGS.glob(f"{lab}_*.py"))] + list(labs.get(lab).packages)


def package_files(lab: str) -> list[str]:
    """The modules of the lab's packages, relative to dags/ (`common/alerts.py`, ...)."""
    return [
        path.relative_to(DAGS).as_posix()
        for package in labs.get(lab).packages
        for path in sorted((DAGS / package).glob("*.py"))
    ]


def known_labs() -> list[str]:
    return sorted({p.name.split("_")[0] for p in LABS.glob("lab[0-9]*_*") if p.is_dir()}, key=lambda s: int(s[3:]))


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)

"""Reference → starter: one source of truth for every lab.

Reference DAGs in `dags/` mark what the student writes:

    # BEGIN SOLUTION: <what to write, in one line>
    ...the answer...
    # END SOLUTION

`release` turns each block into a stub at the block's indentation:

    # TODO: <what to write>
    raise NotImplementedError("TODO: <what to write>")

A block followed directly by a STARTER block is replaced by that block's lines instead
(uncommented); use it where a `raise` cannot stand, such as inside a call's arguments:

    # BEGIN STARTER
    # schedule=None,  # TODO: ...
    # END STARTER

The student file is otherwise the reference, line for line, so docstrings, helpers and
the DAG wiring read the same in both.
"""
from __future__ import annotations

import difflib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from labkit import labs as lab_records
from labkit.edition import MARKER, is_student_edition
from labkit.grading.points_table import graded_tests, update_readme
from labkit.paths import DAGS, LABS

_BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<todo>.*))?\s*$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
_BEGIN_STARTER = re.compile(r"^\s*# BEGIN STARTER\s*$")
_END_STARTER = re.compile(r"^\s*# END STARTER\s*$")
HEADER = "# Generated from dags/{name} by `labkit release`: edit the parts marked TODO.\n"


class MarkerError(ValueError):
    """The reference file's markers do not pair up."""


# Reference files whose SOLUTION blocks no student sees: Python, and env files (lab 7's
# production configuration), where a block becomes a TODO comment with nothing to raise.
REFERENCE_SUFFIXES = (".py", ".env")


def strip_solutions(source: str, name: str = "<reference>") -> str:
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        begin = _BEGIN.match(line)
        if _BEGIN_STARTER.match(line):
            raise MarkerError(f"{name}:{i + 1}: a STARTER block must follow a SOLUTION block directly")
        if _END.match(line) or _END_STARTER.match(line):
            raise MarkerError(f"{name}:{i + 1}: END without BEGIN")
        if not begin:
            out.append(line)
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if _END.match(lines[j])), None)
        if end is None:
            raise MarkerError(f"{name}:{i + 1}: BEGIN SOLUTION without END SOLUTION")
        if any(_BEGIN.match(lines[j]) for j in range(i + 1, end)):
            raise MarkerError(f"{name}:{i + 1}: SOLUTION blocks cannot nest")
        indent = begin.group("indent")
        todo = (begin.group("todo") or "write this part").strip()
        after = end + 1
        if after < len(lines) and _BEGIN_STARTER.match(lines[after]):
            stop = next((j for j in range(after + 1, len(lines)) if _END_STARTER.match(lines[j])), None)
            if stop is None:
                raise MarkerError(f"{name}:{after + 1}: BEGIN STARTER without END STARTER")
            out.extend(_uncomment(text) for text in lines[after + 1 : stop])
            i = stop + 1
        else:
            message = f"TODO: {todo}"
            out.append(f"{indent}# {message}\n")
            if not name.endswith(".env"):  # Python: a stub that says what to write when it runs
                out.append(f"{indent}raise NotImplementedError({message!r})\n")
            i = after
    return "".join(out)


def _uncomment(line: str) -> str:
    match = re.match(r"^(\s*)# ?(.*)$", line, flags=re.S)
    return f"{match.group(1)}{match.group(2)}" if match else line


@dataclass
class StarterFile:
    reference: Path
    starter: Path
    name: str = ""  # the reference's path relative to dags/, for messages and the header

    def render(self) -> str:
        name = self.name or self.reference.name
        return HEADER.format(name=name) + strip_solutions(self.reference.read_text(), name)


def starter_files(labs: Path = LABS, dags: Path = DAGS) -> list[StarterFile]:
    """Every student file in labs/labN_*/ and the reference it comes from (same name in dags/)."""
    pairs = []
    for folder in sorted(labs.glob("lab[0-9]*_*")):
        lab = folder.name.split("_")[0]
        for reference in sorted(dags.glob(f"{lab}_*.py")):
            pairs.append(StarterFile(reference, folder / reference.name))
        for package in lab_records.get(lab).packages:  # helpers the student writes too (lab 3's common/)
            for reference in sorted(p for p in (dags / package).glob("*") if p.suffix in REFERENCE_SUFFIXES):
                pairs.append(StarterFile(reference, folder / package / reference.name, f"{package}/{reference.name}"))
    return pairs


def generated(labs: Path = LABS, dags: Path = DAGS) -> dict[Path, str]:
    """Everything `release` writes: starter files, and the points table in each lab README.

    A student edition has no solutions to release from: nothing is generated there.
    """
    if is_student_edition(dags.parent):
        return {}
    files = {pair.starter: pair.render() for pair in starter_files(labs, dags)}
    for readme in sorted(labs.glob("lab[0-9]*_*/README.md")):
        files[readme] = update_readme(readme, readme.parent.name.split("_")[0])
    # What the student edition may know of the hidden tests: how many, and their points.
    hidden = dags.parent / "tests" / "hidden"
    for folder in sorted(hidden.glob("lab[0-9]*")):
        tests = graded_tests(folder.name, hidden)
        manifest = {"tests": len(tests), "points": sum(t.points for t in tests)}
        files[dags.parent / "tests" / folder.name / "hidden_points.json"] = json.dumps(manifest) + "\n"
    return files


def release(labs: Path = LABS, dags: Path = DAGS) -> list[Path]:
    """Regenerate every generated file; returns the files that changed."""
    changed = []
    for path, text in generated(labs, dags).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def stale(labs: Path = LABS, dags: Path = DAGS) -> list[str]:
    """Diffs of generated files that differ from what `release` would write (empty: up to date)."""
    diffs = []
    for path, want in generated(labs, dags).items():
        have = path.read_text() if path.exists() else ""
        if want != have:
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        have.splitlines(keepends=True),
                        want.splitlines(keepends=True),
                        str(path),
                        "what `labkit release` writes",
                    )
                )
            )
    return diffs


# What a student edition leaves out, besides solution bodies: solutions' neighbours
# (known-wrong variants quote the reference, hidden tests are the instructor's), the kit's
# own tests (they test the reference too), the instructor's guides and class-demo stack,
# CI, and the lessons' jupytext twins (a maintainer's review format).
STUDENT_EDITION_LEAVES_OUT = (
    ".git", ".venv", ".labkit", "__pycache__", "hidden", "wrong", "kit", "*.pyc", ".ipynb_checkpoints",
    "gradebook-*", "submit", ".ci", "docker", "docker-compose.yaml", ".env.example", "instructor.md", "demo.md",
    "*.lesson.py", "jupytext.toml",
)
INSTRUCTOR_BLOCK = re.compile(r"^# instructor:begin\n.*?^# instructor:end\n", flags=re.M | re.S)


def strip_references(dags: Path) -> None:
    """In a copy of dags/: every reference file becomes its starter (its SOLUTION blocks gone)."""
    for reference in sorted(p for p in dags.rglob("*") if p.suffix in REFERENCE_SUFFIXES and p.is_file()):
        source = reference.read_text()
        if re.search(r"^\s*# BEGIN SOLUTION", source, flags=re.M) or reference.name.startswith("lab"):
            name = reference.relative_to(dags).as_posix()
            reference.write_text(HEADER.format(name=name) + strip_solutions(source, name))


def student_kit(target: Path, root: Path | None = None) -> Path:
    """Copy the repository into `target` without reference solutions (for publishing).

    dags/ keeps its starter-equivalent files only, so no solution body leaves the
    instructor's copy; graded tests stay (students run them); the known-wrong variants
    (edits that quote the reference) and hidden tests do not. The README is a student's
    (labkit/student_edition/README.md) and `make help` lists a student's commands only.
    """
    from labkit.paths import ROOT

    root = root or ROOT
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(*STUDENT_EDITION_LEAVES_OUT), dirs_exist_ok=False)
    strip_references(target / "dags")
    (target / "README.md").write_text(student_readme(target))
    makefile = target / "Makefile"
    makefile.write_text(INSTRUCTOR_BLOCK.sub("", makefile.read_text()))
    (target / MARKER).write_text("student\n")
    return target


def grading_kit(target: Path, root: Path | None = None) -> Path:
    """The public grading kit a sandboxed submission's tests run from: labkit, the public
    tests, the starters, the stripped dags/ and pytest's configuration — copied by name
    (an allow-list), so nothing else in the instructor's checkout (hidden tests, known-wrong
    variants, .git, a class's submissions or gradebook) can come along. Made world-readable
    and byte-compiled: the jailed grader reads it as `nobody`, and cannot write caches there.
    """
    import compileall

    from labkit.paths import ROOT

    root = root or ROOT
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "wrong", "hidden", "kit")
    for name in ("labkit", "labs", "dags"):
        shutil.copytree(root / name, target / name, ignore=skip)
    (target / "tests").mkdir()
    shutil.copy2(root / "tests" / "__init__.py", target / "tests" / "__init__.py")
    for folder in sorted((root / "tests").glob("lab[0-9]*")):
        shutil.copytree(folder, target / "tests" / folder.name, ignore=skip)
    shutil.copy2(root / "pyproject.toml", target / "pyproject.toml")
    strip_references(target / "dags")
    (target / "tests" / "hidden").mkdir()  # where each jail shows its submission's own copy
    (target / MARKER).write_text("student\n")
    compileall.compile_dir(target, quiet=2, workers=1)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def student_readme(kit: Path) -> str:
    """The student edition's README: the template, with a table of the kit's labs."""
    template = (Path(__file__).resolve().parent.parent / "student_edition" / "README.md").read_text()
    rows = ["| lab | lesson | your files, and the task | public points | hidden points |", "|---|---|---|---:|---:|"]
    for folder in sorted((kit / "labs").glob("lab[0-9]*_*"), key=lambda p: int(p.name.split("_")[0][3:])):
        lab = folder.name.split("_")[0]
        title = folder.joinpath("README.md").read_text().splitlines()[0].lstrip("# ").split(" (")[0]
        public = sum(t.points for t in graded_tests(lab, kit / "tests"))
        manifest = kit / "tests" / lab / "hidden_points.json"
        hidden = json.loads(manifest.read_text())["points"] if manifest.exists() else 0
        rows.append(f"| {title} | `notebooks/{folder.name}.ipynb` | `labs/{folder.name}/` (`README.md`) "
                    f"| {public:g} | {hidden:g} |")
    return template.replace("{labs_table}", "\n".join(rows))

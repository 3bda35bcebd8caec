"""A synthetic class to try the batch grader on: `labkit sample-class lab1 DIR --count 30`.

Submissions are built from the reference: correct ones, partial ones (each known-wrong
variant of tests/labN/wrong/), broken ones (syntax error, missing import, crash at
import, os._exit mid-test), hostile ones (drops every database it can reach, writes
outside its folder, prints without end), hanging ones (a Python loop, a loop in C, a
loop at import) and a cheat (runs the reference it hopes to find on the grading machine).
Every lab's files are written, each mistake in the file it belongs to. They come as
folders in the three layouts students use and as zips, so unpacking is exercised too.
`expected.csv` says which is which.
"""
from __future__ import annotations

import csv
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from labkit.grading.targets import lab_filenames
from labkit.grading.verify import load_variants
from labkit.paths import DAGS, LABS


@dataclass
class Sample:
    student: str
    kind: str  # correct | partial | broken | hostile | hanging | cheat
    files: dict[str, str]  # lab file (`lab3_sql_to_sheet.py`, `common/alerts.py`) -> source
    note: str


def _edit(source: str, old: str, new: str) -> str:
    if source.count(old) != 1:
        raise ValueError(f"sample edit does not apply to the reference: {old[:60]!r}")
    return source.replace(old, new)


def reference_files(lab: str) -> dict[str, str]:
    """Every file of the lab as the reference has it (packages module by module)."""
    from labkit.grading.targets import package_files

    names = [name for name in lab_filenames(lab) if name.endswith(".py")] + package_files(lab)
    return {name: (DAGS / name).read_text() for name in names}


_BEGIN = re.compile(r"^(?P<indent>[ \t]+)# BEGIN SOLUTION.*$", flags=re.M)


def _bodies(files: dict[str, str]) -> list[tuple[str, re.Match[str]]]:
    """(file, marker) of every solution block that is a function's body, in file order.
    A block inside a call's arguments (followed by a STARTER block) cannot take statements."""
    found = []
    for name, source in files.items():
        for match in _BEGIN.finditer(source):
            end = source.index("# END SOLUTION", match.end())
            after = source[source.index("\n", end) + 1 :].lstrip()
            if not after.startswith("# BEGIN STARTER"):
                found.append((name, match))
    return found


def _insert(files: dict[str, str], which: int, code: str) -> dict[str, str]:
    """The files with `code` run first in the `which`-th solution body (counted over the lab)."""
    bodies = _bodies(files)
    name, marker = bodies[which % len(bodies)]
    indent = marker.group("indent")
    source = files[name]
    line_end = source.index("\n", marker.end()) + 1
    lines = "".join(f"{indent}{line}\n" for line in code.splitlines())
    return {**files, name: source[:line_end] + lines + source[line_end:]}


def _main_file(files: dict[str, str]) -> str:
    """The lab's first file that holds a solution (where module-level mistakes go)."""
    return next(name for name, source in files.items() if "BEGIN SOLUTION" in source)


def samples(lab: str) -> list[Sample]:
    reference = reference_files(lab)
    main = _main_file(reference)
    out = [Sample("correct", "correct", reference, "the reference")]
    for variant in load_variants(lab):
        name = variant.file or lab_filenames(lab)[0]
        source = reference[name]
        for old, new in variant.edits:
            source = _edit(source, old, new)
        out.append(Sample(f"partial-{variant.name}", "partial", {**reference, name: source}, variant.why))
    first_def = re.search(r"^def \w+\(", reference[main], flags=re.M)
    assert first_def, f"{main} has no function"
    broken_syntax = reference[main].replace(first_def.group(0), first_def.group(0) + ":", 1)
    out += [
        Sample("broken-syntax", "broken", {**reference, main: broken_syntax}, f"syntax error in {main}"),
        Sample("broken-import", "broken", {**reference, main: "import pandas_that_does_not_exist\n" + reference[main]},
               "imports a missing module"),
        Sample("broken-exit", "broken", _insert(reference, 1, "import os\nos._exit(0)"), "os._exit() in a function it writes"),
        Sample("hostile-drop", "hostile", _insert(reference, 0, _DROP_EVERYTHING), "drops every database it can reach, then works"),
        Sample("hostile-escape", "hostile", _insert(reference, 0, _ESCAPE), "writes outside its folder, then works"),
        Sample("hostile-flood", "hostile", _insert(reference, 1, "print('flood ' * 10_000_000)"), "prints ~60 MB"),
        Sample("hanging-python", "hanging", _insert(reference, 2, "while True:\n    pass"), "a Python loop in a function"),
        Sample("hanging-c", "hanging", _insert(reference, 3, "import itertools\nsum(itertools.count())"), "a loop in C in a function"),
        Sample("hanging-import", "hanging", {**reference, main: reference[main] + "\nwhile True:\n    pass\n"}, "loops at import"),
        Sample("cheat", "cheat", cheat_files(lab), "runs the reference found on the grading machine"),
    ]
    return out


# Hostile code is written to fail safely: it only reaches what the grader lets it reach.
_DROP_EVERYTHING = """import os, psycopg2
try:
    admin = psycopg2.connect(os.environ["LABKIT_PG_ADMIN_DSN"], connect_timeout=3)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")
        for (name,) in cur.fetchall():
            try:
                cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            except psycopg2.Error:
                pass
except Exception:
    pass"""
_ESCAPE = """from pathlib import Path
import labkit.paths
# The kit itself, and the folder every submission is unpacked into.
for target in (labkit.paths.ROOT / "ESCAPED.txt", Path(__file__).resolve().parents[4] / "ESCAPED.txt"):
    try:
        target.write_text("a submission wrote outside its folder")
    except OSError:
        pass"""


# A cheat does not solve the lab: each of its files looks for the instructor's reference on
# the grading machine (everywhere a student could think of, the instructor's checkout path
# included) and runs that instead. In a jail there is nothing to find.
_CHEAT = '''"""Not a solution: this file runs the instructor's reference, found on the grading machine."""
import os
import sys
from pathlib import Path

_WANTED = {wanted!r}
_GUESSES = {guesses!r}


def _folders():
    found = []
    try:
        import labkit.paths
        found.append(labkit.paths.ROOT)
    except Exception:
        pass
    for entry in [*_GUESSES, *sys.path, os.getcwd(), *os.environ.values()]:
        if isinstance(entry, str) and entry.startswith("/"):
            path = Path(entry.split(":")[0])
            found += [path, *path.parents]
    return dict.fromkeys(found)


def _reference():
    me = Path(__file__).resolve()
    for folder in _folders():
        for candidate in (folder / "dags" / _WANTED, folder / "tests" / "hidden"):
            try:
                if candidate.is_dir():
                    found = sorted(p.name for p in candidate.rglob("*.py") if p.name != "__init__.py")
                    if found:
                        print("hidden tests found:", found)
                    continue
                text = candidate.read_text()
            except OSError:
                continue
            if candidate.resolve() != me and "BEGIN " + "SOLUTION" in text:
                return candidate, text
    raise FileNotFoundError(2, "no reference solution on this machine", str(Path(_GUESSES[0]) / "dags" / _WANTED))


_path, _text = _reference()
exec(compile(_text, __file__, "exec"), globals())  # as if it were this file
'''


def cheat_files(lab: str, guesses: list[str] | None = None) -> dict[str, str]:
    """The cheat's files for `lab` (path in the lab folder -> source): every module the
    student writes, each a loader of the reference. `guesses`: where the instructor's
    checkout might be (default: this one's own path, as a determined student would guess)."""
    from labkit.grading.targets import package_files
    from labkit.paths import ROOT

    guesses = guesses or [str(ROOT)]
    names = [name for name in lab_filenames(lab) if name.endswith(".py")] + package_files(lab)
    files = {}
    for name in names:
        source = (DAGS / name).read_text()
        # A module of a package that holds no solution (`__init__.py`) stays as it is.
        files[name] = _CHEAT.format(wanted=name, guesses=guesses) if "BEGIN SOLUTION" in source else source
    return files


def _layouts() -> itertools.cycle[str]:
    return itertools.cycle(["labs", "folder", "flat", "zip"])


# Every 10 students: 3 correct, 3 partial, 1 broken, 1 hostile, 1 hanging, 1 cheat — a realistic
# class, and any prefix of it is a mix.
MIX = ["correct", "partial", "broken", "correct", "partial", "hostile", "correct", "partial", "hanging", "cheat"]


def generate(lab: str, out: Path, count: int = 30) -> list[Sample]:
    """Write `count` submissions into `out` (created), plus expected.csv."""
    out.mkdir(parents=True, exist_ok=False)
    by_kind: dict[str, itertools.cycle[Sample]] = {}
    for kind in dict.fromkeys(MIX):
        by_kind[kind] = itertools.cycle([s for s in samples(lab) if s.kind == kind])
    lab_folder = next(LABS.glob(f"{lab}_*")).name
    written = []
    for i, layout in zip(range(count), _layouts(), strict=False):  # _layouts() never ends
        sample = next(by_kind[MIX[i % len(MIX)]])
        student = f"s{i + 1:02d}-{sample.student}"
        prefix = {"labs": f"labs/{lab_folder}/", "folder": f"{lab_folder}/", "flat": "", "zip": f"labs/{lab_folder}/"}[layout]
        if layout == "zip":
            with zipfile.ZipFile(out / f"{student}.zip", "w") as archive:
                for name, source in sample.files.items():
                    archive.writestr(prefix + name, source)
        else:
            for name, source in sample.files.items():
                path = out / student / (prefix + name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(source)
        written.append(Sample(student, sample.kind, {}, f"{sample.note} ({layout})"))
    with (out / "expected.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "kind", "note"])
        writer.writerows((s.student, s.kind, s.note) for s in written)
    return written

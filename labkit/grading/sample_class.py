"""A synthetic class to try the batch grader on: `labkit sample-class lab1 DIR --count 30`.

Submissions are built from the reference: correct ones, partial ones (each known-wrong
variant of tests/labN/wrong/), broken ones (syntax error, missing import, crash at
import, os._exit mid-test), hostile ones (drops every database it can reach, writes
outside its folder, prints without end) and hanging ones (a Python loop, a loop in C, a
loop at import, a call that never returns). They come as folders in the three layouts
students use and as zips, so unpacking is exercised too. `expected.csv` says which is
which and the scores a correct grader gives where they are known exactly.
"""
from __future__ import annotations

import csv
import itertools
import zipfile
from dataclasses import dataclass
from pathlib import Path

from labkit.grading.targets import lab_filenames
from labkit.grading.verify import load_variants
from labkit.paths import DAGS, LABS


@dataclass
class Sample:
    student: str
    kind: str  # correct | partial | broken | hostile | hanging
    source: str
    note: str


def _edit(source: str, old: str, new: str) -> str:
    if source.count(old) != 1:
        raise ValueError(f"sample edit does not apply to the reference: {old[:60]!r}")
    return source.replace(old, new)


def _first_body_line(source: str, function: str) -> str:
    """The first line after the solution marker in `function` (where a stub is inserted)."""
    start = source.index(f"def {function}(")
    marker = source.index("# BEGIN SOLUTION", start)
    return source[marker : source.index("\n", marker) + 1]


def _insert(source: str, function: str, code: str) -> str:
    line = _first_body_line(source, function)
    return _edit(source, line, line + "".join(f"    {c}\n" for c in code.splitlines()))


def samples(lab: str) -> list[Sample]:
    reference = (DAGS / lab_filenames(lab)[0]).read_text()
    out = [Sample("correct", "correct", reference, "the reference")]
    for variant in load_variants(lab):
        source = reference
        for old, new in variant.edits:
            source = _edit(source, old, new)
        out.append(Sample(f"partial-{variant.name}", "partial", source, variant.why))
    out += [
        Sample("broken-syntax", "broken", reference.replace("def to_rows(", "def to_rows(:", 1), "syntax error"),
        Sample("broken-import", "broken", "import pandas_that_does_not_exist\n" + reference, "imports a missing module"),
        Sample("broken-exit", "broken", _insert(reference, "to_rows", "import os\nos._exit(0)"), "os._exit() inside to_rows"),
        Sample("hostile-drop", "hostile", _insert(reference, "fetch_forecast", _DROP_EVERYTHING), "drops every database it can reach, then works"),
        Sample("hostile-escape", "hostile", _insert(reference, "fetch_forecast", _ESCAPE), "writes outside its folder, then works"),
        Sample("hostile-flood", "hostile", _insert(reference, "to_rows", "print('flood ' * 10_000_000)"), "prints ~60 MB in to_rows"),
        Sample("hanging-python", "hanging", _insert(reference, "upsert_dedupe", "while True:\n    pass"), "Python loop in upsert_dedupe"),
        Sample("hanging-c", "hanging", _insert(reference, "upsert_on_conflict", "import itertools\nsum(itertools.count())"), "C loop in upsert_on_conflict"),
        Sample("hanging-import", "hanging", reference + "\nwhile True:\n    pass\n", "loops at import"),
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


def _layouts() -> itertools.cycle:
    return itertools.cycle(["labs", "folder", "flat", "zip"])


# Every 10 students: 3 correct, 4 partial, 1 broken, 1 hostile, 1 hanging — a realistic
# class, and any prefix of it is a mix.
MIX = ["correct", "partial", "broken", "correct", "partial", "hostile", "correct", "partial", "hanging", "partial"]


def generate(lab: str, out: Path, count: int = 30) -> list[Sample]:
    """Write `count` submissions into `out` (created), plus expected.csv."""
    out.mkdir(parents=True, exist_ok=False)
    by_kind: dict[str, itertools.cycle] = {}
    for kind in dict.fromkeys(MIX):
        by_kind[kind] = itertools.cycle([s for s in samples(lab) if s.kind == kind])
    filename = lab_filenames(lab)[0]
    lab_folder = next(LABS.glob(f"{lab}_*")).name
    written = []
    for i, layout in zip(range(count), _layouts()):
        sample = next(by_kind[MIX[i % len(MIX)]])
        student = f"s{i + 1:02d}-{sample.student}"
        inner = {"labs": f"labs/{lab_folder}/{filename}", "folder": f"{lab_folder}/{filename}", "flat": filename, "zip": f"labs/{lab_folder}/{filename}"}[layout]
        if layout == "zip":
            with zipfile.ZipFile(out / f"{student}.zip", "w") as archive:
                archive.writestr(inner, sample.source)
        else:
            path = out / student / inner
            path.parent.mkdir(parents=True)
            path.write_text(sample.source)
        written.append(Sample(student, sample.kind, "", f"{sample.note} ({layout})"))
    with (out / "expected.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "kind", "note"])
        writer.writerows((s.student, s.kind, s.note) for s in written)
    return written

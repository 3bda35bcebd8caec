"""`check("lab1")`: grade your own lab from a lesson notebook, as `make test lab1` does.

    from labkit.check import check

    check("lab1")            # the whole lab: same tests, same points, same results file
    check("lab1", "load")    # one part: the tests of tests/lab1/test_2_load.py

The grading runs in child processes exactly as in the terminal, so a syntax error, an
import error or an endless loop in your file costs points with a plain reason and never
takes the kernel down. Interrupt the kernel (■) to stop a check: nothing keeps running.

While `make test` runs the lessons headless (LABKIT_CHECK=dry-run), a check only resolves
its tests and says what it would grade: every lesson has several checks, and grading the
untouched starter each time would only cost minutes to learn it scores 0.
"""
from __future__ import annotations

import html
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.grading.parts import Part, UnknownPart, find
from labkit.grading.report import LabResult, render, render_html

if TYPE_CHECKING:
    from labkit.grading.protocol import Progress

log = logging.getLogger(__name__)

DRY_RUN = "dry-run"
REDRAW_EVERY = 0.5  # seconds between progress redraws


@dataclass
class Checked:
    """What `check()` found; a notebook shows it as the score table."""

    result: LabResult
    title: str
    details: Path
    hidden_note: str = ""

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

    def _repr_html_(self) -> str:
        extra = f"<p>{html.escape(self.hidden_note)}</p>" if self.hidden_note else ""
        return (render_html(self.result, title=self.title) + extra
                + f"<p style='color:#6e7781'>Details: <code>{html.escape(_relative(self.details))}</code></p>")

    def __repr__(self) -> str:
        return render(self.result) + (f"\n{self.hidden_note}" if self.hidden_note else "")


@dataclass
class Planned:
    """A check in a headless run of the lessons: what it would grade."""

    lab: str
    part: Part | None
    tests: int
    points: float

    def __repr__(self) -> str:
        what = self.part.label if self.part else self.lab
        return f"check({what}): {self.tests} tests worth {self.points:g} points (not graded in a headless run of the lessons)"

    def _repr_html_(self) -> str:
        return f"<p><i>{html.escape(repr(self))}</i></p>"


@dataclass
class Refused:
    """A check that cannot run (no such lab or part; the lab is being graded already):
    the message, not a traceback."""

    message: str

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return f"<p style='color:#cf222e'><b>check:</b> {html.escape(self.message)}</p>"


def check(lab: str, part: str | int | None = None) -> Checked | Planned | Refused:
    """Grade your file for `lab` (or one `part` of it) and show the score table."""
    from labkit.grading import runner
    from labkit.grading.points_table import graded_tests
    from labkit.grading.targets import Target, known_labs, relative

    lab = str(lab).strip().lower().replace(" ", "")
    if lab not in known_labs():
        return Refused(f"there is no {lab!r}; the labs are {', '.join(known_labs())}")
    try:
        chosen = find(lab, part) if part is not None else None
    except UnknownPart as unknown:
        return Refused(str(unknown))
    if os.environ.get("LABKIT_CHECK") == DRY_RUN:
        tests = [t for t in graded_tests(lab) if chosen is None or t.file == chosen.file]
        return Planned(lab, chosen, len(tests), sum(t.points for t in tests))

    files = ", ".join(relative(p) for p in Target.parse("student").lab_files(lab))
    title = f"{chosen.label if chosen else lab} · your files: {files}"
    progress = _ProgressView(title)
    try:
        outcome = runner.grade(
            lab, "student", show=False,
            select=[chosen.file] if chosen else (),
            name=f"{lab}-part-{chosen.name}" if chosen else None,
            on_progress=progress.update,
        )
    except runner.AlreadyRunning as busy:
        return Refused(str(busy))
    finally:
        progress.close()
    count, points = runner.hidden_points(lab)
    hidden = (f"Public tests only: hidden tests worth {points:g} points ({count} tests) are not run here; "
              "your instructor's grading runs them too.") if count and chosen is None else ""
    results = Path(outcome.log).with_suffix(".json")
    return Checked(outcome.result, title, results, hidden)


class _ProgressView:
    """A line under the cell that counts the tests as they finish (redrawn in place)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.started = time.monotonic()
        self.drawn = 0.0
        self.handle = None
        try:
            from IPython import get_ipython
            from IPython.display import HTML, display

            if get_ipython() is not None:
                self.handle = display(HTML(self._html(0, 0, "")), display_id=True)
        except ImportError:  # plain Python: the table is printed at the end
            pass

    def _html(self, done: int, total: int, running: str) -> str:
        elapsed = time.monotonic() - self.started
        bar = f"<progress value='{done}' max='{total}'></progress> {done}/{total} tests" if total else "starting…"
        now = f" · now: {html.escape(running)}" if running else ""
        return f"<p>Grading <b>{html.escape(self.title)}</b> {bar}{now} · {elapsed:.0f} s</p>"

    def update(self, state: Progress) -> None:
        if self.handle is None or time.monotonic() - self.drawn < REDRAW_EVERY:
            return
        self.drawn = time.monotonic()
        names = {entry.nodeid: entry.name for entry in state.collected}
        flight = state.in_flight()
        from IPython.display import HTML

        self.handle.update(HTML(self._html(len(state.results), len(state.collected), names.get(flight or "", ""))))

    def close(self) -> None:
        if self.handle is not None:
            from IPython.display import HTML

            self.handle.update(HTML(""))


def _relative(path: Path) -> str:
    from labkit.grading.targets import relative

    return relative(path)


__all__ = ["check"]

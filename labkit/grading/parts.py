"""A lab's parts: each graded test file is one part a student can check on its own.

    tests/lab1/test_1_extract_transform.py   part "extract_transform" (or "1", or "extract")
    tests/lab1/test_2_load.py                part "load"              (or "2")

`check("lab1", "load")` in a lesson and `make test lab1 PART=load` grade one part with the
same tests and points as the whole lab.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from labkit.paths import TESTS

_FILE = re.compile(r"^test_(?P<number>\d+)_(?P<name>\w+)\.py$")


@dataclass(frozen=True)
class Part:
    lab: str
    number: int
    name: str  # extract_transform
    file: str  # test_1_extract_transform.py

    @property
    def label(self) -> str:
        return f"{self.lab} part {self.number} ({self.name.replace('_', ' ')})"


def parts(lab: str, tests: Path = TESTS) -> list[Part]:
    """The lab's parts, in order."""
    found = []
    for path in sorted((tests / lab).glob("test_*.py")):
        match = _FILE.match(path.name)
        if match:
            found.append(Part(lab, int(match["number"]), match["name"], path.name))
    return sorted(found, key=lambda part: part.number)


class UnknownPart(ValueError):
    """A part name that matches none (or several) of the lab's parts."""


def find(lab: str, wanted: str | int, tests: Path = TESTS) -> Part:
    """The part named `wanted`: its number, its name, or the start of its name."""
    choices = parts(lab, tests)
    key = str(wanted).strip().lower().replace(" ", "_").replace("-", "_")
    exact = [p for p in choices if key in (str(p.number), p.name)]
    matches = exact or [p for p in choices if p.name.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(f'"{p.name}" ({p.number})' for p in choices) or "none"
    if not matches:
        raise UnknownPart(f"{lab} has no part {wanted!r}; its parts are {listing}")
    raise UnknownPart(f"{wanted!r} could be several parts of {lab}: {', '.join(p.name for p in matches)}")

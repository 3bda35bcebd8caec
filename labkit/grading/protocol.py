"""What the grading child (labkit.grading.plugin, inside pytest) tells the runner.

The child appends one JSON line per event to the run's progress file; the runner reads the
file while the child runs (a live bar, the watch for stuck tests) and once it ended (the
score). A killed child leaves at most a line cut short, which `read` skips; a restarted
child appends to the same file, starting with a new `Collected`.

Both sides import this module: the event types are the protocol.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO

from labkit.grading.report import TIMEOUT, TestResult


@dataclass(frozen=True)
class Collected:
    """The graded tests of this child's session (each restart collects what is left)."""

    tests: list[TestResult]
    labs: dict[str, list[str]] = field(default_factory=dict)  # lab -> its tests' node ids
    time_limits: dict[str, float] = field(default_factory=dict)  # tests that declare a longer timeout
    if_stuck: dict[str, str] = field(default_factory=dict)  # a test's own word on why it may never return


@dataclass(frozen=True)
class Started:
    """A test's setup began."""

    nodeid: str


@dataclass(frozen=True)
class SessionReady:
    """The first test's session-wide fixtures (the kit's servers) are set up: the rest of its
    setup (loading the submission, running its DAG in a module fixture) is the submission's
    time, watched with the usual patience."""

    nodeid: str


@dataclass(frozen=True)
class Calling:
    """A test's fixtures are ready: from here on the time is the code under test's."""

    nodeid: str


@dataclass(frozen=True)
class Scored:
    result: TestResult


@dataclass(frozen=True)
class Finished:
    exitstatus: int


Event = Collected | Started | SessionReady | Calling | Scored | Finished
_KINDS: dict[str, type[Event]] = {
    "collected": Collected, "started": Started, "session_ready": SessionReady, "calling": Calling, "scored": Scored,
    "finished": Finished,
}
_NAMES = {kind: name for name, kind in _KINDS.items()}


def encode(event: Event) -> str:
    return json.dumps({"event": _NAMES[type(event)], **asdict(event)}, default=str)


def decode(line: str) -> Event | None:
    """The event on `line`, or None for a line cut short by a kill (or not ours)."""
    try:
        data = json.loads(line)
        kind = _KINDS[data.pop("event")]
        if kind is Collected:
            data["tests"] = [_result(entry) for entry in data["tests"]]
        elif kind is Scored:
            data["result"] = _result(data["result"])
        return kind(**data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _result(entry: dict[str, object]) -> TestResult:
    names = {f.name for f in fields(TestResult)}
    return TestResult(**{k: v for k, v in entry.items() if k in names})  # type: ignore[arg-type]


def write(stream: IO[str], event: Event) -> None:
    stream.write(encode(event) + "\n")
    stream.flush()  # the runner reads it while we run


def read(path: Path) -> Iterator[Event]:
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        event = decode(line)
        if event is not None:
            yield event


# -- the runner's view --------------------------------------------------------------------------
SESSION_SETUP = 90.0  # more patience for each child's first test: it sets the session up
STUCK_MARGIN = 15.0  # past a test's own declared timeout, before the runner steps in


@dataclass
class Progress:
    """Everything the progress file says so far, across restarts."""

    collected: list[TestResult] = field(default_factory=list)  # from the first attempt: every test
    results: dict[str, TestResult] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    finished: bool = False
    time_limits: dict[str, float] = field(default_factory=dict)  # tests allowed more than the runner's watch
    if_stuck: dict[str, str] = field(default_factory=dict)
    first_of_attempt: set[str] = field(default_factory=set)  # the first test each child started
    calling: set[str] = field(default_factory=set)  # tests whose own code has started (fixtures done)
    session_ready: set[str] = field(default_factory=set)  # first tests past the session's own setup
    known: dict[str, TestResult] = field(default_factory=dict)  # every test any attempt collected

    @classmethod
    def read(cls, path: Path) -> Progress:
        state = cls()
        new_attempt = False
        for event in read(path):
            if isinstance(event, Collected):
                state.collected = state.collected or event.tests  # later attempts see fewer
                state.known.update((test.nodeid, test) for test in event.tests)
                state.time_limits.update(event.time_limits)
                state.if_stuck.update(event.if_stuck)
                state.finished = False
                new_attempt = True
            elif isinstance(event, Scored):
                state.results[event.result.nodeid] = event.result
            elif isinstance(event, Calling):
                state.calling.add(event.nodeid)
            elif isinstance(event, SessionReady):
                state.session_ready.add(event.nodeid)
            elif isinstance(event, Started):
                state.started.append(event.nodeid)
                if new_attempt:
                    state.first_of_attempt.add(event.nodeid)
                    new_attempt = False
            elif isinstance(event, Finished):
                state.finished = True
        return state

    def patience(self, nodeid: str, stuck_after: float) -> float:
        """How long `nodeid` may run (its setup, then its call, each) before it counts as
        stuck. The setup of each child's first test also sets the session up (a live Airflow
        to start and parse: seconds to a minute on a busy machine): the grader's time, never
        the submission's. Once the session is set up (or the test's own code runs), the usual
        patience applies: a submission that hangs in a module fixture is stopped as soon as one
        that hangs in a test."""
        in_session_setup = nodeid in self.first_of_attempt and not ({nodeid} & (self.calling | self.session_ready))
        setup = SESSION_SETUP if in_session_setup else 0.0
        return max(stuck_after, self.time_limits.get(nodeid, 0) + STUCK_MARGIN) + setup

    def in_flight(self) -> str | None:
        return next((nodeid for nodeid in reversed(self.started) if nodeid not in self.results), None)

    def done_ids(self) -> list[str]:
        return list(self.results)

    def unfinished(self) -> list[str]:
        return [test.nodeid for test in self.collected if test.nodeid not in self.results]

    def timed_out(self) -> bool:
        return any(result.outcome == TIMEOUT for result in self.results.values())

    def mark_crashed(self, path: Path, nodeid: str, outcome: str, reason: str) -> None:
        """Score `nodeid` 0 (the child died in it), in the file too: the next child appends."""
        entry = self.known[nodeid]  # Started is only sent for a test its attempt collected
        details = reason + "\nThe grader restarted and ran the remaining tests; this one scores 0."
        result = TestResult(entry.nodeid, entry.name, entry.points, outcome, reason, details)
        with path.open("a", encoding="utf-8") as stream:
            write(stream, Scored(result))
        self.results[nodeid] = result


"""The steps of the whole suite (`make test`), each timed: wall clock and CPU seconds.

CPU is counted twice, because neither count alone is the whole truth: the processes this run
waited for (itself, pytest, every grading child: `getrusage`), and the machine's busy time
while the step ran (`/proc/stat`), which also covers what those processes started in
sessions of their own (PostgreSQL, Airflow components) and anything else running meanwhile.
On an otherwise idle machine the second is the step's real cost.
"""
from __future__ import annotations

import logging
import os
import resource
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
STAT = Path("/proc/stat")


@dataclass(frozen=True)
class StepResult:
    name: str
    code: int
    seconds: float
    cpu_seconds: float  # this process and the children it waited for (user + sys)
    machine_cpu_seconds: float | None  # every core's busy time meanwhile (None without /proc)

    @property
    def ok(self) -> bool:
        return self.code == 0


def own_cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def machine_busy_seconds() -> float | None:
    """Seconds of CPU every core spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        fields = STAT.read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def timed_step(name: str, step: Callable[[], int]) -> StepResult:
    began, cpu, busy = time.monotonic(), own_cpu_seconds(), machine_busy_seconds()
    code = step()
    after = machine_busy_seconds()
    return StepResult(name, code, time.monotonic() - began, own_cpu_seconds() - cpu,
                      after - busy if after is not None and busy is not None else None)


def summary(results: list[StepResult], seconds: float) -> list[str]:
    width = max(len(result.name) for result in results)
    lines = [f"Summary ({seconds:.0f} s wall on {os.cpu_count()} cores)",
             f"       {'step':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'machine CPU s':>13}"]
    for result in results:
        machine = f"{result.machine_cpu_seconds:13.0f}" if result.machine_cpu_seconds is not None else f"{'-':>13}"
        lines.append(f"  {'ok  ' if result.ok else 'FAIL'} {result.name:<{width}}  {result.seconds:7.0f}  "
                     f"{result.cpu_seconds:7.0f}  {machine}")
    return lines


def failed_tests(junit_xml: Path) -> list[str]:
    """`nodeid: first line of the reason` for each failed or erroring test in a pytest
    JUnit report; the summary repeats them because CI logs often keep only their tail."""
    try:
        root = ElementTree.parse(junit_xml).getroot()
    except (OSError, ElementTree.ParseError) as problem:
        return [f"(no test report at {junit_xml}: {problem})"]
    lines = []
    for case in root.iter("testcase"):
        for kind in ("failure", "error"):
            found = case.find(kind)
            if found is None:
                continue
            name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
            lines.append(f"{name}: {_reason(found)[:300] or kind}")
    return lines


def _reason(found: ElementTree.Element) -> str:
    """pytest's first `E` line (what was asserted or raised), else the message's first line."""
    explained = [line[1:].strip() for line in (found.text or "").splitlines() if line.startswith("E ")]
    message = (found.get("message") or "").strip().splitlines()
    return next(iter(explained or message), "")


def recap(failures: list[str], limit: int = 40) -> list[str]:
    """What failed, step by step, under the summary (the details are higher up the log)."""
    if not failures:
        return []
    shown = failures[:limit]
    more = [f"  … and {len(failures) - limit} more"] if len(failures) > limit else []
    return ["What failed (details above):", *(f"  {line}" for line in shown), *more]

"""Lint and type checks of the kit: `ruff check` and `mypy`, as configured in pyproject.toml.

    from labkit import lint
    result = lint.run()              # both checks on this checkout
    result.ok, result.findings()     # True/False, ["labkit/x.py:3:1: F401 …", …]
    print(result.summary())          # one line per check, then the findings

`python -m labkit.lint` runs both and exits 1 when either finds something. Each tool runs
as `sys.executable -m <tool>` from `root`, so it is the venv's pinned version (the `dev`
dependency group) reading `root`'s pyproject.toml; their caches go to .labkit/ (set there).
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labkit.paths import ROOT

log = logging.getLogger(__name__)

# What ruff checks (pyproject.toml's extend-exclude leaves out labs/, notebooks/ and the
# known-wrong variants); mypy checks what [tool.mypy] `files` names (labkit/).
RUFF_PATHS = ("labkit", "dags", "tests", "scripts")
CHECKS = ("ruff", "mypy")
TIMEOUT = 600.0  # seconds per tool; a cold mypy run takes well under a minute

# A finding: `path:line:col: CODE message` (ruff, concise) or `path:line: error: message` (mypy).
_FINDING = re.compile(r"^[^\s:][^:]*\.pyi?:\d+:(\d+:)? (?!note:)")


def command(check: str, root: Path = ROOT) -> list[str]:
    """The command line of one check, run with `root` as the working directory."""
    if check == "ruff":
        paths = [name for name in RUFF_PATHS if (root / name).exists()]
        return [sys.executable, "-m", "ruff", "check", "--no-fix", "--output-format", "concise", *paths]
    if check == "mypy":
        return [sys.executable, "-m", "mypy", "--no-color-output", "--no-pretty"]
    raise ValueError(f"unknown check {check!r} (known: {', '.join(CHECKS)})")


@dataclass(frozen=True)
class CheckResult:
    """One tool's run: its exit status, what it printed and how long it took."""

    name: str
    returncode: int
    output: str = field(repr=False)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def findings(self) -> list[str]:
        """The lines that point at code (`path:line…`), without the tool's notes and totals."""
        return [line for line in self.output.splitlines() if _FINDING.match(line)]

    def headline(self) -> str:
        if self.ok:
            return f"{self.name}: passed ({self.seconds:.1f} s)"
        found = self.findings()
        if found:
            return f"{self.name}: {len(found)} finding{'s' if len(found) != 1 else ''} ({self.seconds:.1f} s)"
        last = self.output.strip().splitlines()[-1:] or ["no output"]
        return f"{self.name}: failed with exit status {self.returncode}: {last[0]} ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class LintResult:
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def findings(self) -> list[str]:
        return [line for check in self.checks for line in check.findings()]

    def summary(self) -> str:
        """A headline per check, then each failed check's findings (or its output, if it found none)."""
        lines = [check.headline() for check in self.checks]
        for check in self.checks:
            if not check.ok:
                lines += ["", f"-- {check.name}"]
                lines += check.findings() or check.output.strip().splitlines()
        return "\n".join(lines)


def run_check(check: str, root: Path = ROOT, *, timeout: float = TIMEOUT) -> CheckResult:
    """Run one check in `root`; a tool that cannot start or overruns `timeout` is a failure too."""
    cmd = command(check, root)
    log.info("%s: %s", check, " ".join(cmd[1:]))
    started = time.monotonic()
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return CheckResult(check, -1, f"{check} did not finish within {timeout:.0f} s", time.monotonic() - started)
    except OSError as err:
        return CheckResult(check, -1, f"{check} could not start: {err}", time.monotonic() - started)
    result = CheckResult(check, done.returncode, done.stdout + done.stderr, time.monotonic() - started)
    log.log(logging.INFO if result.ok else logging.WARNING, "%s", result.headline())
    return result


def run(root: Path = ROOT, checks: Sequence[str] = CHECKS, *, timeout: float = TIMEOUT) -> LintResult:
    """Run `checks` (ruff, then mypy) on the checkout at `root`, one after the other."""
    return LintResult(tuple(run_check(check, root, timeout=timeout) for check in checks))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m labkit.lint [ruff|mypy …]`: run the checks, log the summary; 0 when all pass."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    checks = list(argv if argv is not None else sys.argv[1:]) or list(CHECKS)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        log.error("unknown check(s): %s (known: %s)", ", ".join(unknown), ", ".join(CHECKS))
        return 2
    result = run(ROOT, checks)
    (log.info if result.ok else log.error)("%s", result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

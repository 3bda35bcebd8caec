"""The Makefile as a student types it: a score is an answer, not a crash."""
from __future__ import annotations

import subprocess

import pytest

from labkit.paths import ROOT
from tests.kit.helpers import clean_env

pytestmark = pytest.mark.timeout(300)


def make(*args: str) -> subprocess.CompletedProcess:
    env = clean_env()
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "TARGET", "PART", "STRICT"):
        env.pop(name, None)  # as typed in a shell, not as a sub-make of `make test`
    return subprocess.run(["make", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def test_make_test_ends_with_the_score_and_exits_0_below_full_marks():
    run = make("test", "lab1", "PART=extract")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "make:" not in run.stdout + run.stderr
    last = run.stdout.rstrip().splitlines()
    assert last[-3].startswith("SCORE lab1: 0/6") and last[-1].startswith("(details: .labkit/results/lab1-part-extract_transform.json")


def test_strict_keeps_labkits_status_for_scripts():
    run = make("test", "lab1", "PART=extract", "STRICT=1")
    assert run.returncode != 0 and "SCORE lab1: 0/6" in run.stdout


def test_an_unknown_part_is_a_usage_error_with_the_parts_listed():
    run = make("test", "lab1", "PART=nothing")
    assert run.returncode == 2 and '"extract_transform" (1), "load" (2), "dag" (3)' in run.stdout

"""The grading zygote: children forked with pytest and Airflow imported behave like ordinary
grading children (environment, folder, output, exit codes, being killed), a request whose
Airflow settings differ is refused rather than run with the zygote's, and nothing outlives the
zygote's owner or a runner that went away."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labkit.grading import runner
from labkit.grading import zygote as zygote_module
from labkit.grading.report import NOT_RUN, PASSED, TIMEOUT
from labkit.grading.targets import Target
from labkit.grading.zygote import Zygote, ZygotePool
from labkit.paths import ROOT
from labkit.services._net import process_alive
from tests.kit.helpers import REFERENCE, clean_env, wait_until
from tests.kit.test_runner import LOOP_LIMIT, LOOP_SELECTION

pytestmark = pytest.mark.timeout(300)

TESTS = textwrap.dedent("""
    import os, time
    from pathlib import Path

    def test_sees_the_request(tmp_path):
        assert os.environ["ZYGOTE_PROBE"] == "hello"
        assert Path.cwd() == Path(os.environ["EXPECTED_CWD"])
        import airflow.configuration
        assert airflow.configuration.AIRFLOW_HOME == os.environ["AIRFLOW_HOME"]

    def test_fails():
        assert 1 == 2, "failing on purpose"

    def test_sleeps():
        if os.environ.get("ZYGOTE_SLEEP"):
            Path(os.environ["ZYGOTE_SLEEP"]).write_text(str(os.getpid()))
            time.sleep(300)
""")


@pytest.fixture(scope="module")
def zygote():
    started = Zygote.start(())
    yield started
    started.stop()


def _request(zygote: Zygote, folder, *select: str, **env: str):
    tests = folder / "test_probe.py"
    tests.write_text(TESTS)
    command = [sys.executable, "-m", "pytest", *(f"{tests}::{name}" for name in select), "-q", "-p", "no:cacheprovider"]
    child_env = {**os.environ, **zygote.home.env(), "ZYGOTE_PROBE": "hello", "EXPECTED_CWD": str(folder), **env}
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    log = folder / "child.log"
    return zygote.spawn(command, cwd=folder, env=child_env, log_path=log, output_limit=2**20), log


def test_a_forked_child_runs_pytest_as_asked(zygote, tmp_path):
    child, log = _request(zygote, tmp_path, "test_sees_the_request")
    assert child is not None, "the zygote refused a request with its own settings"
    assert child.wait() == 0, log.read_text()
    assert "1 passed" in log.read_text()

    child, log = _request(zygote, tmp_path, "test_fails")
    assert child.wait() == 1
    assert "failing on purpose" in log.read_text()


def test_other_airflow_settings_are_refused_not_run_with_the_zygotes(tmp_path):
    own = Zygote.start(())
    try:
        child, _ = _request(own, tmp_path, "test_sees_the_request", AIRFLOW__CORE__PARALLELISM="7")
        assert child is None and own.broken, "a child would have run with the zygote's settings"
    finally:
        own.stop()


def test_a_killed_child_reports_the_signal_and_a_runner_that_leaves_takes_its_child(zygote, tmp_path):
    marker = tmp_path / "pid"
    child, _ = _request(zygote, tmp_path, "test_sleeps", ZYGOTE_SLEEP=str(marker))
    assert wait_until(marker.exists, timeout=60)
    os.killpg(child.pid, signal.SIGKILL)  # what the runner does to a stuck test
    assert child.wait() == -signal.SIGKILL

    marker.unlink()
    child, _ = _request(zygote, tmp_path, "test_sleeps", ZYGOTE_SLEEP=str(marker))
    assert wait_until(marker.exists, timeout=60)
    pid = int(marker.read_text())
    child._conn.close()  # the runner is gone (killed): nobody will read the result
    assert wait_until(lambda: not process_alive(pid), timeout=10), "the child outlived its runner"


OWNER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tests.kit.test_zygote import Zygote, _request
    folder = Path(sys.argv[1])
    zygote = Zygote.start(())
    child, _ = _request(zygote, folder, "test_sleeps", ZYGOTE_SLEEP=str(folder / "pid"))
    print(zygote.process.pid, flush=True)
    import time
    time.sleep(600)
""")


def test_nothing_outlives_an_owner_killed_with_sigkill(tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path)], cwd=ROOT, env=clean_env(),
                             stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        zygote_pid = int(owner.stdout.readline())
        assert wait_until((tmp_path / "pid").exists, timeout=60), "the child never started"
        child_pid = int((tmp_path / "pid").read_text())
    finally:
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
    assert wait_until(lambda: not process_alive(zygote_pid), timeout=10), "the zygote outlived its owner"
    assert wait_until(lambda: not process_alive(child_pid), timeout=10), "a grading child outlived the zygote's owner"


def test_a_run_through_a_zygote_gives_the_same_verdicts(tmp_path, monkeypatch):
    """lab 1's reference and starter, each through a zygote and the usual way: the same outcome
    per test. (`verify` grades every lab's variants through zygotes.)"""
    monkeypatch.setenv("LABKIT_WARM", "0")  # the usual way: no `make lab` on this machine
    pool = ZygotePool(("postgres", "airflow"))
    try:
        for target in ("reference", "student"):
            with pool.lease() as zygote:
                assert zygote is not None
                forked = runner.grade("lab1", Target(target), results=tmp_path / "forked", show=False, zygote=zygote)
                assert not zygote.broken, "the zygote refused the run"
            usual = runner.grade("lab1", Target(target), results=tmp_path / "usual", show=False)
            outcomes = {t.nodeid: t.outcome for t in forked.result.tests}
            assert outcomes == {t.nodeid: t.outcome for t in usual.result.tests}, target
            assert outcomes
    finally:
        pool.stop()


def _descendants(pid: int) -> list[int]:
    """Processes below `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def test_a_c_loop_in_a_forked_child_is_stopped_and_leaves_nothing(tmp_path, monkeypatch):
    """The runner's wall-clock limit kills a zygote's child as it kills its own: the finished
    tests keep their points, the one in flight is timeout, and no process is left below the
    zygote (which serves the next run)."""
    monkeypatch.setenv("LABKIT_WARM", "0")
    source = REFERENCE.read_text()
    begin = source.index("    # BEGIN SOLUTION", source.index("def upsert_dedupe("))
    end = source.index("    # END SOLUTION", begin)
    lab_file = tmp_path / "submission" / "lab1_dedupe_upsert.py"
    lab_file.parent.mkdir()
    lab_file.write_text(source[:begin] + "    import itertools\n\n    return sum(itertools.count())\n" + source[end:])
    pool = ZygotePool(("postgres", "airflow"))
    try:
        with pool.lease() as zygote:
            assert zygote is not None and zygote.process is not None
            outcome = runner.grade("lab1", str(lab_file), results=tmp_path / "results", show=False, zygote=zygote,
                                   time_limit=LOOP_LIMIT, extra_args=["-k", LOOP_SELECTION])
            assert not zygote.broken
            left = _descendants(zygote.process.pid)
        assert outcome.timed_out and outcome.returncode < 0
        assert [t.outcome for t in outcome.result.tests] == [PASSED, PASSED, TIMEOUT, NOT_RUN]
        assert wait_until(lambda: not _descendants(zygote.process.pid), timeout=10), left
        with pool.lease() as again:  # still serving
            assert again is zygote and again.alive()
    finally:
        pool.stop()


def test_stop_all_gives_up_on_a_zygote_still_importing():
    """A Ctrl-C of `verify` while a worker waits for its zygote's imports (seconds; ~20 s on a
    busy machine, as a CI run measured) stops at once: the zygote is killed, the lease yields
    None and nothing is left."""
    import threading
    import time

    pool = ZygotePool(("s3", "slack", "sheets"))  # the most to import: the longest start
    leased: list[object] = []

    def lease() -> None:
        with pool.lease() as zygote:
            leased.append(zygote)

    worker = threading.Thread(target=lease)
    worker.start()
    try:
        assert wait_until(lambda: bool(zygote_module._starting), timeout=30), "the zygote never started"
        starting = next(iter(zygote_module._starting))
        runner.stop_all()
        stopped = time.monotonic()
        worker.join(10)
        took = time.monotonic() - stopped
    finally:
        runner.resume()
        pool.stop()
    assert not worker.is_alive() and took < 1.5, f"the lease still waited {took:.1f} s for the zygote's imports"
    assert leased == [None]
    assert wait_until(lambda: not process_alive(starting.pid), timeout=5), "the zygote outlived stop_all"

"""The student's whole loop, in a real browser, in a fresh student edition.

`labkit release --student-kit` → `make install` → `NO_BROWSER=1 make lab` → headless
Chromium through JupyterLab as a student: the lab 1 README and starter opened from the
file browser, a partial solution typed into JupyterLab's editor and saved, the lesson's
`check("lab1")` cell run and its table read, `make test lab1` in a JupyterLab terminal
giving the same score, `make submit lab1` there, and the instructor's `labkit grade`
giving the zip the same public score. Screenshots go to .labkit/screenshots/.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from fnmatch import fnmatch
from pathlib import Path

import pytest

from labkit import jupyterlab
from labkit.grading.points_table import graded_tests
from labkit.grading.release import student_kit
from labkit.paths import LABS, NOTEBOOKS, ROOT, state_dir
from tests.kit.browser import chromium_or_skip
from tests.kit.helpers import clean_env, wait_until

pytestmark = pytest.mark.timeout(900)

SCREENSHOTS = state_dir() / "screenshots"
STARTER = "lab1_dedupe_upsert.py"
# What the student types under the TODO of fetch_forecast: one line (the editor indents it).
PARTIAL = ('response = requests.get(url, params={**SEOUL, "appid": api_key}, timeout=timeout); '
           "response.raise_for_status(); return response.json()")
# fetch_forecast's three tests, and "a failing API fails the run and keeps the table" (true
# as soon as fetch_forecast raises on an HTTP error).
PARTIAL_SCORE = f"4/{sum(t.points for t in graded_tests('lab1')):g}"
STUDENT = "ada@example.edu"


def _student_env() -> dict[str, str]:
    """A student's shell: none of this test run's services, venv or Python path."""
    env = clean_env()
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "LABKIT_STATE_DIR", "TARGET", "PART"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    kit = student_kit(tmp_path_factory.mktemp("students") / "airflow-lab-kit")
    install = subprocess.run(["make", "install"], cwd=kit, env=_student_env(), capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # The student turned on JupyterLab's screen-reader mode: xterm then mirrors the terminal
    # as text, which is what this test reads (the terminal itself is drawn on a canvas).
    settings = kit / ".labkit" / "jupyter" / "user-settings" / "@jupyterlab" / "terminal-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text('{"screenReaderMode": true}')
    return kit


@pytest.fixture(scope="module")
def lab(edition):
    """`NO_BROWSER=1 make lab` in the edition, as a student starts it; stopped with SIGTERM."""
    started = time.monotonic()
    log = (edition / ".labkit" / "make-lab.log").open("w")
    # Started as from a script (`make lab &` in a non-interactive shell): SIGINT ignored.
    process = subprocess.Popen(
        ["make", "lab"], cwd=edition, env={**_student_env(), "NO_BROWSER": "1"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    text = lambda: (edition / ".labkit" / "make-lab.log").read_text()  # noqa: E731
    ready = wait_until(lambda: "JupyterLab is ready" in text() or process.poll() is not None, timeout=180)
    assert ready and process.poll() is None, text()[-3000:]
    url = re.search(r"(http://127\.0\.0\.1:\d+/lab/tree/\S+\?token=\w+)", text()).group(1)
    yield {"url": url, "process": process, "seconds": time.monotonic() - started, "log": text}
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    finally:
        log.close()


def _pids_under(folder: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(folder) in line and "ps -eo" not in line]


# -- configuration, no browser --------------------------------------------------------------
def test_jupyterlab_hides_the_lesson_twins_but_never_a_starter():
    globs = jupyterlab.hidden_globs(ROOT)
    twins = sorted(NOTEBOOKS.glob("*.lesson.py"))
    assert twins and all(any(fnmatch(p.name, g) for g in globs) for p in twins)
    tracked = subprocess.run(["git", "ls-files", "labs"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    starters = [ROOT / name for name in tracked] or [p for p in LABS.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    shown = [p for p in starters if not any(fnmatch(part, g) for part in p.relative_to(ROOT).parts for g in globs)]
    assert shown == starters, "a starter file or README would be hidden in JupyterLab"
    assert "dags" not in globs  # the instructor's edition shows the reference


def test_the_kits_jupyterlab_settings_turn_news_off_and_render_markdown():
    overrides = json.loads((jupyterlab.SETTINGS / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == "Markdown Preview"
    command = jupyterlab.command(8888, no_browser=True)
    assert "--ServerApp.ip=127.0.0.1" in command and "--LabApp.news_url=None" in command


# -- the student edition in a browser -------------------------------------------------------
def test_a_student_works_through_lab1_in_jupyterlab(edition, lab, tmp_path):
    from tests.kit.jupyterlab_ui import JupyterLabPage

    browser = chromium_or_skip()
    browser.set_window_size(1500, 1000)
    page = JupyterLabPage(browser, SCREENSHOTS / "student-loop")
    try:
        browser.get(lab["url"])
        page.wait(lambda b: "00_start_here.ipynb" in page.tab_labels(), timeout=60, message="the start lesson open")
        page.wait(lambda b: page.current().find_elements("css selector", ".jp-Notebook .jp-MarkdownCell h1"),
                  timeout=60, message="the start lesson rendered")
        page.shot("01-start-here")

        # The file browser: the kit's root, what a student needs and nothing to trip on.
        page.browse_home()
        shown = page.listing()
        assert {"labs", "notebooks", "README.md", "Makefile"} <= set(shown), shown
        assert "dags" not in shown and not any(name.startswith(".") for name in shown), shown
        page.open_folder("notebooks")
        assert not [name for name in page.listing() if name.endswith(".py")], page.listing()

        # The lesson, then the lab's README and starter, each by a double-click.
        page.open_file("lab1_dedupe_upsert.ipynb")
        page.wait_for_kernel()
        page.browse_home()
        page.open_folder("labs", "lab1_dedupe_upsert")
        assert sorted(page.listing()) == sorted(["README.md", STARTER]), page.listing()
        page.open_file("README.md")
        readme = page.wait(lambda b: page.current().find_elements("css selector", ".jp-RenderedMarkdown h1"),
                           message="the README rendered as Markdown")
        assert readme[0].text.startswith("Lab 1"), readme[0].text
        page.shot("02-lab1-readme")

        page.open_file(STARTER)
        page.type_new_line_after("# TODO: call requests.get", PARTIAL)
        page.save()
        saved = (edition / "labs" / "lab1_dedupe_upsert" / STARTER).read_text()
        assert "    " + PARTIAL + "\n" in saved, "the typed line did not reach the file as typed"
        page.shot("03-lab1-starter-edited")

        # The lesson's check: its first cell (services, imports), then the final check("lab1").
        page.activate_tab("lab1_dedupe_upsert.ipynb")
        page.run_cell("stack.ensure(", timeout=120)
        cell = page.run_cell('check("lab1")', done="SCORE lab1:", timeout=300)
        table = cell.find_element("css selector", ".labkit-score")
        notebook_score = re.search(r"SCORE lab1: (\S+)", table.text).group(1)
        assert notebook_score == PARTIAL_SCORE, table.text
        rows = table.find_elements("css selector", "tbody tr")
        assert len(rows) == len(graded_tests("lab1")) and sum("✓ pass" in r.text for r in rows) == 4
        page.shot("04-lab1-check-cell")

        # The same score from make test in a JupyterLab terminal, then the hand-in.
        page.new_terminal()
        page.type_in_terminal("make test lab1")
        page.wait(lambda b: _finished(page.terminal_text(), "SCORE lab1:"), timeout=300,
                  message="make test lab1 finished in the terminal")
        terminal = page.terminal_text()
        assert re.search(r"SCORE lab1: (\S+)", terminal).group(1) == notebook_score, terminal[-2000:]
        assert "make: ***" not in terminal and "make[" not in terminal, "make's own lines follow the score"
        assert terminal.splitlines()[-2].startswith("(details: .labkit/results/lab1.json"), terminal[-500:]
        page.shot("05-lab1-make-test-in-terminal")

        page.type_in_terminal(f"clear; make submit lab1 STUDENT={STUDENT}")
        page.wait(lambda b: _finished(page.terminal_text(), "Hand in the zip"), timeout=120, message="make submit finished")
        terminal = page.terminal_text()
        assert f"your last local score for these files: {notebook_score}" in terminal, terminal
        page.shot("06-lab1-make-submit")
        toasts = [t.text for t in browser.find_elements("css selector", ".Toastify__toast")]
        assert not [t for t in toasts if "news" in t.lower()], toasts  # no "get Jupyter news?" popup
    finally:
        browser.quit()

    # The instructor grades the zip exactly as handed in: the same public score.
    handed_in = edition / "submit" / "lab1-ada@example.edu.zip"
    assert handed_in.exists(), sorted((edition / "submit").iterdir())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / handed_in.name).write_bytes(handed_in.read_bytes())
    out = tmp_path / "gradebook"
    graded = subprocess.run(
        [sys.executable, "-m", "labkit", "grade", "lab1", "--submissions", str(inbox), "--out", str(out)],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=600,
    )
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    result = json.loads(next((out / "results").rglob("lab1*.json")).read_text())
    public = [t for t in result["tests"] if t["nodeid"].startswith("tests/lab1/")]
    earned = sum(t["points"] for t in public if t["outcome"] == "passed")
    assert f"{earned:g}/{sum(t['points'] for t in public):g}" == notebook_score


def _finished(terminal: str, marker: str) -> bool:
    """The command printed `marker` and the shell's prompt is back."""
    return marker in terminal and terminal.rstrip().endswith(("#", "$"))


def test_a_second_make_lab_prints_the_running_one(edition, lab):
    again = subprocess.run(["make", "lab"], cwd=edition, env={**_student_env(), "NO_BROWSER": "1"},
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already running" in again.stdout and lab["url"] in again.stdout


def test_ctrl_c_works_in_jupyterlab_even_when_make_lab_was_started_with_it_ignored(edition, lab):
    """Ignored signals are inherited: JupyterLab, its terminals and their `make test` would
    all ignore Ctrl-C if `labkit lab` passed its own SIG_IGN on."""
    info = json.loads(next((edition / ".labkit" / "jupyter" / "runtime").glob("jpserver-*.json")).read_text())
    status = Path(f"/proc/{info['pid']}/status").read_text()
    ignored = int(re.search(r"^SigIgn:\s*([0-9a-f]+)", status, flags=re.M).group(1), 16)
    assert not ignored & (1 << (signal.SIGINT - 1)), "JupyterLab ignores SIGINT"


def test_the_jupyter_server_refuses_requests_without_its_token(lab):
    base = lab["url"].split("/lab/")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents", timeout=10)
    assert refused.value.code == 403
    token = lab["url"].rsplit("token=", 1)[1]
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=10) as answer:
        assert answer.status == 200


def test_stopping_make_lab_leaves_nothing_running(edition, lab):
    """Last in this module: stops the module's `make lab` itself and looks for leftovers."""
    from labkit.services._net import port_open

    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", lab["log"]())]
    assert len(set(ports)) >= 4, lab["log"]()  # PostgreSQL, S3, the weather API, JupyterLab
    process = lab["process"]
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    assert wait_until(lambda: not _pids_under(edition), timeout=30), _pids_under(edition)
    assert wait_until(lambda: not any(port_open("127.0.0.1", p) for p in set(ports)), timeout=30), [
        p for p in set(ports) if port_open("127.0.0.1", p)]

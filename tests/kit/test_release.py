"""labkit.grading.release: reference → starter, `release --check`, and the student edition."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from labkit.grading.release import HEADER, MarkerError, release, stale, strip_solutions, student_kit
from labkit.paths import DAGS, LABS
from tests.kit.helpers import REFERENCE

FUNCTION_BODY = textwrap.dedent(
    '''\
    import requests


    def fetch(url):
        """The docstring stays."""
        # BEGIN SOLUTION: call requests.get with a timeout and return the JSON
        response = requests.get(url, timeout=10)
        return response.json()
        # END SOLUTION


    class Loader:
        def load(self):
            if True:
                # BEGIN SOLUTION
                return 1
                # END SOLUTION
    '''
)


def solution_statements(source: str, min_length: int = 50) -> list[str]:
    """The longer lines inside the SOLUTION blocks of `source`, stripped.

    Read from the reference at run time, so this file (which students get) quotes none.
    """
    lines, inside = [], False
    for line in source.splitlines():
        if "# BEGIN SOLUTION" in line or "# END SOLUTION" in line:
            inside = "BEGIN" in line
        elif inside and len(line.strip()) >= min_length:
            lines.append(line.strip())
    return lines


# The heart of lab 1's solution: the dedupe query (the module docstring only names the pattern).
DEDUPE_QUERY = next(line for line in solution_statements(REFERENCE.read_text()) if "ROW_NUMBER() OVER" in line)

CALL_ARGUMENTS = textwrap.dedent(
    """\
    settings = dict(
        dag_id="demo",
        # BEGIN SOLUTION: a daily schedule
        schedule="@daily",
        catchup=False,
        # END SOLUTION
        # BEGIN STARTER
        # schedule=None,  # TODO: a daily schedule
        # END STARTER
        tags=["lab1"],
    )
    """
)


# -- strip_solutions ----------------------------------------------------------------------
def test_a_function_body_becomes_a_todo_and_a_raise_at_the_blocks_indentation():
    out = strip_solutions(FUNCTION_BODY)
    assert (
        "    # TODO: call requests.get with a timeout and return the JSON\n"
        "    raise NotImplementedError('TODO: call requests.get with a timeout and return the JSON')\n"
    ) in out
    # A nested block keeps its deeper indentation; without text the TODO is generic.
    assert "            # TODO: write this part\n            raise NotImplementedError('TODO: write this part')\n" in out


def test_only_the_solution_lines_change():
    out = strip_solutions(FUNCTION_BODY)
    assert "requests.get(url" not in out and "return 1" not in out
    assert "# BEGIN SOLUTION" not in out and "# END SOLUTION" not in out
    assert '"""The docstring stays."""' in out and "class Loader:" in out
    # A 4-line block and a 3-line block each became 2 lines; every other line is untouched.
    assert out.count("\n") == FUNCTION_BODY.count("\n") - 3


def test_the_stub_compiles_and_raises_the_todo_when_called():
    namespace: dict = {}
    exec(compile(strip_solutions(FUNCTION_BODY), "starter.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"^TODO: call requests\.get with a timeout and return the JSON$"):
        namespace["fetch"]("http://example.invalid")


ENV_FILE = """\
AIRFLOW__CORE__LOAD_EXAMPLES=False
# BEGIN SOLUTION: the metadata DB on PostgreSQL, from ${AIRFLOW_DB_URL}
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=${AIRFLOW_DB_URL}
# END SOLUTION
# BEGIN SOLUTION: authentication on
AIRFLOW__API__EXPOSE_CONFIG=False
# END SOLUTION
# BEGIN STARTER
# AIRFLOW__API__EXPOSE_CONFIG=True
# END STARTER
"""


def test_an_env_files_solution_becomes_a_todo_comment_and_its_starter_lines_stay():
    """Lab 7's production configuration: no Python to raise from, so a TODO comment only."""
    out = strip_solutions(ENV_FILE, "production/airflow.env")
    assert out == ("AIRFLOW__CORE__LOAD_EXAMPLES=False\n"
                   "# TODO: the metadata DB on PostgreSQL, from ${AIRFLOW_DB_URL}\n"
                   "AIRFLOW__API__EXPOSE_CONFIG=True\n")


def test_an_env_reference_in_a_copy_of_dags_becomes_its_starter(tmp_path):
    from labkit.grading.release import strip_references

    (tmp_path / "production").mkdir()
    (tmp_path / "production" / "airflow.env").write_text(ENV_FILE)
    (tmp_path / "production" / "given.env").write_text("A=1\n")  # no markers: given as is
    strip_references(tmp_path)
    stripped = (tmp_path / "production" / "airflow.env").read_text()
    assert "SQL_ALCHEMY_CONN" not in stripped and "EXPOSE_CONFIG=True" in stripped
    assert stripped.startswith(HEADER.format(name="production/airflow.env"))
    assert (tmp_path / "production" / "given.env").read_text() == "A=1\n"


def test_a_todo_with_quotes_still_compiles():
    source = "def f():\n    # BEGIN SOLUTION: read payload[\"daily\"], don't guess\n    return 1\n    # END SOLUTION\n"
    namespace: dict = {}
    exec(compile(strip_solutions(source), "starter.py", "exec"), namespace)
    with pytest.raises(NotImplementedError) as err:
        namespace["f"]()
    assert str(err.value) == "TODO: read payload[\"daily\"], don't guess"


def test_a_starter_block_replaces_the_solution_inside_call_arguments():
    out = strip_solutions(CALL_ARGUMENTS)
    assert "    schedule=None,  # TODO: a daily schedule\n" in out
    assert "@daily" not in out and "catchup" not in out
    assert "STARTER" not in out and "NotImplementedError" not in out
    namespace: dict = {}
    exec(compile(out, "starter.py", "exec"), namespace)
    assert namespace["settings"] == {"dag_id": "demo", "schedule": None, "tags": ["lab1"]}


@pytest.mark.parametrize(
    ("source", "line", "problem"),
    [
        ("x = 1\n# END SOLUTION\n", 2, "END without BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", 2, "BEGIN SOLUTION without END SOLUTION"),
        ("# BEGIN SOLUTION\nx = 1\n# BEGIN SOLUTION\ny = 2\n# END SOLUTION\n# END SOLUTION\n", 1, "cannot nest"),
        ("x = 1\n\n# BEGIN STARTER\n# x = 2\n# END STARTER\n", 3, "must follow a SOLUTION block"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n# BEGIN STARTER\n# x = 2\n", 4, "BEGIN STARTER without END STARTER"),
    ],
    ids=["end-alone", "begin-alone", "nested", "starter-alone", "starter-unclosed"],
)
def test_unpaired_or_nested_markers_name_the_file_and_line(source, line, problem):
    with pytest.raises(MarkerError) as err:
        strip_solutions(source, "dags/lab9_demo.py")
    assert str(err.value).startswith(f"dags/lab9_demo.py:{line}: ")
    assert problem in str(err.value)


def test_the_lab1_reference_strips_to_a_file_that_compiles():
    out = strip_solutions(REFERENCE.read_text(), REFERENCE.name)
    compile(out, "lab1_dedupe_upsert.py", "exec")
    # The module docstring names the pattern (ROW_NUMBER() OVER …); the query itself is gone.
    assert DEDUPE_QUERY in REFERENCE.read_text()
    assert DEDUPE_QUERY not in out
    source = REFERENCE.read_text()
    # Every SOLUTION block became a stub, except those a STARTER block replaces.
    assert out.count("raise NotImplementedError(") == source.count("# BEGIN SOLUTION") - source.count("# BEGIN STARTER")


# -- stale / release -------------------------------------------------------------------------
def test_labs_is_up_to_date_with_dags_as_committed():
    assert stale() == []


@pytest.fixture
def copies(tmp_path) -> tuple[Path, Path]:
    """Throwaway copies of dags/ and labs/ (release writes into labs/)."""
    ignore = shutil.ignore_patterns("__pycache__")
    dags, labs = tmp_path / "dags", tmp_path / "labs"
    shutil.copytree(DAGS, dags, ignore=ignore)
    shutil.copytree(LABS, labs, ignore=ignore)
    return labs, dags


def test_an_edited_starter_is_reported_stale_with_a_diff(copies):
    labs, dags = copies
    assert stale(labs, dags) == []
    starter = labs / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    starter.write_text(starter.read_text() + "print('my edit')\n")
    diffs = stale(labs, dags)
    assert len(diffs) == 1
    assert str(starter) in diffs[0]
    assert "-print('my edit')" in diffs[0]


def test_an_edited_reference_makes_the_starter_stale_until_release(copies):
    labs, dags = copies
    reference = dags / "lab1_dedupe_upsert.py"
    reference.write_text(reference.read_text().replace('TABLE = "weather_forecast"', 'TABLE = "forecast"'))
    assert len(stale(labs, dags)) == 1
    starter = labs / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    assert release(labs, dags) == [starter]
    assert stale(labs, dags) == []
    assert 'TABLE = "forecast"' in starter.read_text()
    assert release(labs, dags) == []  # nothing left to change


def test_a_missing_starter_is_stale(copies):
    labs, dags = copies
    (labs / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py").unlink()
    assert len(stale(labs, dags)) == 1


# -- the student edition -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    return student_kit(tmp_path_factory.mktemp("edition") / "kit")


def test_the_student_kit_has_no_solution_bodies_in_dags(kit):
    files = sorted((kit / "dags").glob("lab1_*.py"))
    assert [f.name for f in files] == ["lab1_dedupe_upsert.py"]
    text = files[0].read_text()
    assert "# BEGIN SOLUTION" not in text
    assert DEDUPE_QUERY not in text
    assert "raise NotImplementedError(" in text
    assert text.startswith(HEADER.format(name="lab1_dedupe_upsert.py"))
    # The published dags/ file is exactly the starter students get in labs/.
    assert text == (LABS / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py").read_text()


def test_the_student_kit_leaves_out_git_venv_state_and_caches(kit):
    for name in (".git", ".venv", ".labkit"):
        assert not (kit / name).exists(), name
    assert not list(kit.rglob("__pycache__"))
    assert (kit / "labkit" / "grading" / "release.py").is_file()
    assert (kit / "tests" / "lab1" / "test_2_load.py").is_file()  # students run the graded tests


def test_the_student_kit_refuses_an_existing_folder(tmp_path):
    (tmp_path / "kit").mkdir()
    with pytest.raises(FileExistsError):
        student_kit(tmp_path / "kit")


def test_a_lab_package_becomes_starters_beside_the_lab_files(kit):
    """lab 3's dags/common/ → labs/lab3_*/common/ in the repo, and stubs in the kit's dags/common/."""
    starter = LABS / "lab3_slack_gsheet" / "common" / "alerts.py"
    assert starter.read_text().startswith(HEADER.format(name="common/alerts.py"))
    assert "raise NotImplementedError(" in starter.read_text()
    published = (kit / "dags" / "common" / "alerts.py").read_text()
    assert published == starter.read_text()
    assert "# BEGIN SOLUTION" not in published


def test_no_file_of_the_student_kit_quotes_the_reference_solution(kit):
    references = [path for path in sorted(DAGS.rglob("*.py")) if "# BEGIN SOLUTION" in path.read_text()]
    assert REFERENCE in references and DAGS / "common" / "alerts.py" in references
    statements = [s for path in references for s in solution_statements(path.read_text())]
    assert len(statements) > 30
    leaks = sorted(
        str(path.relative_to(kit))
        for path in kit.rglob("*.py")
        # Lessons demonstrate the patterns on demo tables, and the kit's own code (the fake
        # API, the bench) shares a few lines with the answer: neither is a lab's solution.
        if path.relative_to(kit).parts[0] not in ("notebooks", "labkit")
        and any(statement in path.read_text(errors="replace") for statement in statements)
    )
    assert leaks == []

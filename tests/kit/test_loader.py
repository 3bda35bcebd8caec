"""labkit.grading.loader: a lab file that does not load becomes one explanation a student can act on."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from labkit.grading.loader import SANDBOX_NOTE, LabLoadError, describe_exception, load_module


@pytest.fixture
def write(tmp_path, monkeypatch):
    """write(source, name) -> a .py file in tmp_path; sys.path and sys.modules are restored after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    names: list[str] = []

    def make(source: str, name: str) -> Path:
        names.append(name)
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    yield make
    for name in names:
        sys.modules.pop(name, None)


def load_error(path: Path) -> str:
    with pytest.raises(LabLoadError) as err:
        load_module(path)
    return str(err.value)


def test_a_syntax_error_names_the_file_and_line_and_points_at_the_mistake(write):
    path = write(
        """\
        import math


        def area(r):
            total = math.pi * r ** 2
            return total +* 2
        """,
        "kit_syntax",
    )
    lines = load_error(path).splitlines()
    assert lines[0] == f"{path} has a syntax error on line 6: invalid syntax."
    assert lines[1] == "    return total +* 2"  # the offending line, without its indentation
    assert lines[2].strip() == "^"
    assert lines[2].index("^") == lines[1].index("*")  # the caret sits under the mistake
    assert "every test scores 0" in lines[3]
    assert "Traceback" not in "\n".join(lines)


def test_a_missing_import_names_the_module(write):
    path = write("import pandas_that_is_not_installed\n", "kit_missing_import")
    message = load_error(path)
    assert message.startswith(f"{path} imports `pandas_that_is_not_installed`, which is not installed here.")
    assert "kit_missing_import" not in sys.modules


def test_an_exception_at_import_shows_its_type_text_and_the_files_line(write):
    path = write(
        """\
        RATE = 10


        PER_DAY = RATE / 0
        """,
        "kit_import_error",
    )
    message = load_error(path)
    assert message.splitlines() == [
        # The error on the first line: it is the one-line reason every test shows.
        f"{path} fails while being imported: ZeroDivisionError: division by zero",
        f"  at {path} line 4, in <module>",
        "      PER_DAY = RATE / 0",
    ]
    assert "kit_import_error" not in sys.modules  # a half-imported module is not left behind


def test_an_error_that_announces_its_next_line_keeps_it_on_the_first(write):
    # Airflow's "Invalid arguments were:\n**kwargs: {...}": the first line alone names nothing.
    path = write('raise TypeError("Invalid arguments were:\\n**kwargs: {\'execution_date\': 1}")\n', "kit_announcing_error")
    first = load_error(path).splitlines()[0]
    assert first.endswith("TypeError: Invalid arguments were: **kwargs: {'execution_date': 1}"), first


def test_a_missing_file_says_so(tmp_path):
    message = load_error(tmp_path / "lab1_dedupe_upsert.py")
    assert "lab1_dedupe_upsert.py does not exist" in message


def test_a_good_file_loads_into_sys_modules(write):
    path = write("VALUE = 42\n\n\ndef double(x):\n    return 2 * x\n", "kit_good_module")
    module = load_module(path)
    assert module.VALUE == 42 and module.double(4) == 8
    assert sys.modules["kit_good_module"] is module
    assert str(path.parent) in sys.path  # sibling imports work as they do for Airflow


def test_loading_again_replaces_the_earlier_copy(write):
    first = load_module(write("VALUE = 1\n", "kit_reloaded"), "kit_reloaded")
    second = load_module(write("VALUE = 2\n", "kit_reloaded"), "kit_reloaded")
    assert (first.VALUE, second.VALUE) == (1, 2)
    assert sys.modules["kit_reloaded"] is second


def test_describe_exception_points_at_the_students_line(write):
    path = write(
        """\
        def to_rows(payload):
            rows = []
            for entry in payload["daily"]:
                rows.append(entry["temp"]["day"])
            return rows
        """,
        "kit_describe",
    )
    module = load_module(path)
    with pytest.raises(KeyError) as err:
        module.to_rows({"daily": [{"temp": {}}]})
    assert describe_exception(err.value, path).splitlines() == [
        "KeyError: 'day'",
        f"  at {path} line 4, in to_rows",
        '      rows.append(entry["temp"]["day"])',
    ]


def test_a_package_module_loads_under_its_dotted_name_and_is_shared(tmp_path, monkeypatch):
    """common/alerts.py loads as common.alerts; a DAG file importing it gets the same object."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    for root in ("mine", "theirs"):
        (tmp_path / root / "pkgx").mkdir(parents=True)
        (tmp_path / root / "pkgx" / "__init__.py").write_text("")
        (tmp_path / root / "pkgx" / "alerts.py").write_text(f"WHO = {root!r}\n")
    (tmp_path / "mine" / "dag_file.py").write_text("from pkgx.alerts import WHO\n")
    try:
        theirs = load_module(tmp_path / "theirs" / "pkgx" / "alerts.py", "pkgx.alerts", tmp_path / "theirs")
        assert theirs.WHO == "theirs"
        # Another target's package replaces the first one, and the DAG file sees it.
        mine = load_module(tmp_path / "mine" / "pkgx" / "alerts.py", "pkgx.alerts", tmp_path / "mine")
        assert mine.WHO == "mine"
        dag_file = load_module(tmp_path / "mine" / "dag_file.py", "dag_file_pkgx")
        assert dag_file.WHO == "mine" and sys.modules["pkgx.alerts"] is mine
        assert load_module(tmp_path / "mine" / "pkgx" / "alerts.py", "pkgx.alerts", tmp_path / "mine") is mine
    finally:
        for name in ("pkgx", "pkgx.alerts", "dag_file_pkgx"):
            sys.modules.pop(name, None)


def test_a_package_module_that_fails_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "pkgy").mkdir()
    (tmp_path / "pkgy" / "__init__.py").write_text("")
    (tmp_path / "pkgy" / "alerts.py").write_text("x = 1\nraise RuntimeError('no webhook configured')\n")
    try:
        with pytest.raises(LabLoadError, match="fails while being imported") as err:
            load_module(tmp_path / "pkgy" / "alerts.py", "pkgy.alerts", tmp_path)
        assert "no webhook configured" in str(err.value)
    finally:
        for name in ("pkgy", "pkgy.alerts"):
            sys.modules.pop(name, None)



def test_modules_of_one_package_share_their_imports(tmp_path):
    """Loading pkg/a.py then pkg/b.py (which imports pkg.a) gives one pkg.a, not two copies
    whose classes differ (an `except a.Error` would miss b's errors)."""
    package = tmp_path / "kitpkg_share"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("class Error(Exception):\n    pass\n")
    (package / "b.py").write_text("from kitpkg_share.a import Error\n")
    a = load_module(package / "a.py", "kitpkg_share.a", tmp_path)
    b = load_module(package / "b.py", "kitpkg_share.b", tmp_path)
    assert b.Error is a.Error


@pytest.mark.parametrize(("where", "noted"), [
    ("/tmp/labkit-grader-checkout-{n}/dags/lab1_dedupe_upsert.py", True),  # a grader's checkout under /tmp
    ("/work/labkit-grader-checkout-{n}/dags/lab1_dedupe_upsert.py", True),
    ("{tmp}/forgot-to-write-it.dump", False),  # the submission's own file, in a folder it has
    ("{cwd}/missing.py", False),
])
def test_the_sandbox_note_names_only_files_the_jail_hides(where, noted, tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("LABKIT_SANDBOX", "root")
    path = where.format(n=os.getpid(), tmp=tmp_path, cwd=os.getcwd())
    try:
        with open(path):
            pass
    except OSError as err:
        message = describe_exception(err)
    assert (SANDBOX_NOTE in message) is noted, message

"""The lab records (labkit/labs.py) agree with the files they describe."""
from __future__ import annotations

import ast

import pytest

from labkit import labs
from labkit.paths import DAGS, LABS, ROOT

SERVICES = {"postgres", "s3", "weather_api", "slack", "sheets", "airflow", "airflow_server", "metadata_db"}


@pytest.mark.parametrize("lab", list(labs.LABS.values()), ids=list(labs.LABS))
def test_every_record_names_its_files_tests_and_known_services(lab):
    assert sorted(DAGS.glob(f"{lab.name}_*.py")), f"{lab.name} has no reference DAG in dags/"
    assert sorted(LABS.glob(f"{lab.name}_*")), f"{lab.name} has no starter folder in labs/"
    assert (ROOT / "tests" / lab.name).is_dir(), f"{lab.name} has no tests/{lab.name}/"
    assert set(lab.services) <= SERVICES, f"{lab.name} names an unknown service"
    for package in lab.packages:
        assert (DAGS / package / "__init__.py").is_file(), f"{lab.name}'s package {package} is not in dags/"
    for path in [*lab.lesson_dags, *(lab.graded_airflow.dags if lab.graded_airflow else ())]:
        assert path.is_file(), f"{lab.name} names a DAG file that does not exist: {path}"


def test_every_lab_folder_and_test_folder_has_a_record():
    folders = {path.name.split("_")[0] for path in LABS.glob("lab[0-9]*_*") if path.is_dir()}
    tests = {path.name for path in (ROOT / "tests").glob("lab[0-9]*") if path.is_dir()}
    assert folders == tests == set(labs.LABS), "a lab without a record (or a record without its lab)"


def _names(path):
    """Every string and function name in a file: a DAG's id is one of them (`@dag` takes the function's)."""
    nodes = list(ast.walk(ast.parse(path.read_text())))
    return {node.value for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)} | {
        node.name for node in nodes if isinstance(node, ast.FunctionDef)}


def test_the_demo_plan_runs_each_labs_dags_in_an_order_that_works():
    planned = [step.dag_id for step in labs.demo_plan()]
    assert len(planned) == len(set(planned)), "a DAG is planned twice"
    for lab in labs.LABS.values():
        strings = set().union(*(_names(path) for path in DAGS.glob(f"{lab.name}_*.py")))
        assert {step.dag_id for step in lab.demo} <= strings, f"{lab.name}'s demo names a DAG its files do not define"
    seen: set[str] = set()
    for step in labs.demo_plan():
        assert set(step.after) <= seen, f"{step.dag_id} waits for a DAG planned after it"
        seen.add(step.dag_id)


@pytest.mark.parametrize(("filename", "owner"), [("lab1_dedupe_upsert.py", "lab1"), ("common/alerts.py", "lab3"),
                                                  ("monitoring/airflow_api.py", "lab4"), ("backups/pg.py", "lab6")])
def test_a_file_belongs_to_the_lab_its_name_or_package_says(filename, owner):
    assert labs.owner_of(filename).name == owner


def test_an_unknown_lab_or_file_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown lab 'lab99'"):
        labs.get("lab99")
    with pytest.raises(ValueError, match=r"no lab owns 'notes\.py'"):
        labs.owner_of("notes.py")


def test_no_graded_test_name_starts_another_in_its_file():
    """A grading run restarted after a crash `--deselect`s the tests it has scored, and pytest
    deselects by prefix: scoring `test_load` would also drop `test_load_twice`, unrun."""
    clashes = []
    for path in [*ROOT.glob("tests/lab*/test_*.py"), *ROOT.glob("tests/hidden/lab*/test_*.py")]:
        tree = ast.parse(path.read_text())
        names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
        clashes += [f"{path.relative_to(ROOT)}: {a} / {b}" for a in names for b in names if a != b and b.startswith(a)]
    assert not clashes, "rename one of each pair:\n" + "\n".join(clashes)

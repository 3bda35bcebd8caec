"""labkit.grading.dagcheck: calls that run whenever the scheduler parses a DAG file."""
from __future__ import annotations

import textwrap

from labkit.grading.dagcheck import top_level_calls
from tests.kit.helpers import REFERENCE

DAG_FILE = textwrap.dedent(
    """\
    from airflow.sdk import Variable, task

    URL = Variable.get("weather_api_url")


    def extract(key=Variable.get("weather_api_key")):
        return Variable.get("read_when_the_task_runs")


    @task(pool=Variable.get("pool"))
    def load():
        return Variable.get("read_when_the_task_runs_too")


    def keyword_only(*, limit=Variable.get("limit")):
        pass


    class Settings:
        region = Variable.get("region")

        def method(self):
            return Variable.get("inside_a_method")


    lazy = lambda: Variable.get("inside_a_lambda")
    Variable.set("not_a_get", 1)
    """
)


def test_finds_calls_at_module_level_in_defaults_decorators_and_class_bodies(tmp_path):
    path = tmp_path / "dag.py"
    path.write_text(DAG_FILE)
    # Line 3: module level; 6: a default; 10: a decorator; 15: a keyword-only default;
    # 20: a class body. Function, method and lambda bodies run later and are left out.
    assert top_level_calls(path, "Variable.get") == [3, 6, 10, 15, 20]


def test_matches_the_whole_dotted_name(tmp_path):
    path = tmp_path / "dag.py"
    path.write_text(DAG_FILE)
    assert top_level_calls(path, "Variable.set") == [27]
    assert top_level_calls(path, "get") == []


def test_the_lab1_reference_reads_variables_only_inside_tasks():
    assert "Variable.get(" in REFERENCE.read_text()
    assert top_level_calls(REFERENCE, "Variable.get") == []



def test_finds_a_call_in_the_body_of_the_dag_function(tmp_path):
    path = tmp_path / "dag.py"
    path.write_text(
        textwrap.dedent(
            """\
            from airflow.sdk import Variable, dag, task


            @dag(schedule=None)
            def weather():
                url = Variable.get("weather_api_url")  # runs at every parse

                @task
                def extract():
                    return url

                extract()


            weather()
            """
        )
    )
    assert top_level_calls(path, "Variable.get") == [6]

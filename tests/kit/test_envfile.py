"""labkit.envfile: a production Airflow configuration as an env file (lab 7), read as docker
compose reads one, with a message that names the line a student got wrong."""
from __future__ import annotations

import pytest

from labkit import envfile
from labkit.envfile import EnvFileError

GOOD = """
# Metadata DB on PostgreSQL
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=${AIRFLOW_DB_URL}
export AIRFLOW__CORE__EXECUTOR=LocalExecutor   # a shell habit, and a comment
AIRFLOW__CORE__PARALLELISM="8"
AIRFLOW__CORE__FERNET_KEY=${AIRFLOW_FERNET_KEY:?generate one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'}
AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER=s3://${LOG_BUCKET:-airflow-logs}/logs
AIRFLOW__WEBSERVER__INSTANCE_NAME='Prod $ not a reference'
AIRFLOW__CELERY__WORKER_PREFIX="line\\none"
"""


def test_a_production_file_reads_as_compose_reads_it():
    entries = envfile.parse(GOOD, "airflow.env")
    assert [e.key for e in entries][:3] == ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__EXECUTOR",
                                            "AIRFLOW__CORE__PARALLELISM"]
    assert entries[0].references == ["AIRFLOW_DB_URL"] and entries[0].line == 3
    values = envfile.resolve(entries, {"AIRFLOW_DB_URL": "postgresql://db/airflow", "AIRFLOW_FERNET_KEY": "k" * 44})
    assert values["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql://db/airflow"
    assert values["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert values["AIRFLOW__CORE__PARALLELISM"] == "8"
    assert values["AIRFLOW__CORE__FERNET_KEY"] == "k" * 44
    assert values["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == "s3://airflow-logs/logs"
    assert values["AIRFLOW__WEBSERVER__INSTANCE_NAME"] == "Prod $ not a reference"
    assert values["AIRFLOW__CELERY__WORKER_PREFIX"] == "line\none"


def test_a_reference_to_an_earlier_line_and_the_environment_first():
    values = envfile.load("BUCKET=mine\nLOGS=s3://${BUCKET}/logs\n", {}, "f")
    assert values["LOGS"] == "s3://mine/logs"
    assert envfile.load("BUCKET=mine\nLOGS=s3://${BUCKET}\n", {"BUCKET": "theirs"})["LOGS"] == "s3://theirs"


@pytest.mark.parametrize(("text", "says"), [
    ("AIRFLOW__CORE__EXECUTOR", "line 1: expected KEY=value"),
    ("\n2KEY=x", "line 2: '2KEY' is not a variable name"),
    ("A=1\nA=2", "line 2: A is already set on line 1"),
    ("A='open", "line 1: the ' that opens the value is never closed"),
    ('A="open', 'line 1: the " that opens the value is never closed'),
    ('A="x" y', "unexpected 'y' after the quoted value"),
    ("A=pa$$word", "a $ that is not ${NAME}"),
    ("A=$HOME/x", "a $ that is not ${NAME}"),
])
def test_a_line_it_cannot_read_is_named_with_what_is_wrong(text, says):
    with pytest.raises(EnvFileError) as caught:
        envfile.parse(text, "airflow.env")
    assert says in str(caught.value) and str(caught.value).startswith("airflow.env line")


def test_a_missing_variable_is_named_and_a_required_one_gives_its_message():
    with pytest.raises(EnvFileError, match=r"line 1: KEY names \$\{SECRET\}, which is not set"):
        envfile.load("KEY=${SECRET}", {}, "airflow.env")
    with pytest.raises(EnvFileError, match="line 1: KEY needs SECRET: make one"):
        envfile.load("KEY=${SECRET:?make one}", {}, "airflow.env")
    assert envfile.load("KEY=${SECRET:-fallback}", {}) == {"KEY": "fallback"}
    assert envfile.load("KEY=${SECRET}", {"SECRET": ""}) == {"KEY": ""}  # set, if empty


def test_single_quotes_hold_no_references():
    (entry,) = envfile.parse("KEY='${NOT_ONE}'")
    assert entry.literal and entry.references == []
    assert envfile.resolve([entry], {}) == {"KEY": "${NOT_ONE}"}

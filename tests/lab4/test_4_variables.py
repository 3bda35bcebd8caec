"""Lab 4 · Variables and config: every Variable, secrets masked by Airflow, config forbidden."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.helpers import client


@pytest.mark.points(2)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_variables_listed_with_secrets_masked(api, airflow, variables, capsys):
    """list_variables() returns all 12 (two pages); secret ones come back "***" and never appear in clear"""
    outcome = finishes_within(60, lambda: api.list_variables(client(api, airflow, "admin"), page_size=5), "list_variables()")
    check(outcome.error is None, f"list_variables() raised {type(outcome.error).__name__}: {outcome.error}")
    got = outcome.result
    check(isinstance(got, dict), f"list_variables() should return a dict key → value, got {type(got).__name__}")
    for key, value in variables["plain"].items():
        check_equal(got.get(key), value, f"Variable {key}", "follow the pages, as in list_dags()")
    printed = capsys.readouterr()
    for key, value in variables["secret"].items():
        check_equal(got.get(key), api.MASK, f"Variable {key} (a secret-looking key)")
        check(value not in repr(got) and value not in printed.out + printed.err, f"the value of {key} appears in clear")


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_config_is_forbidden(api, airflow):
    """get_config() raises AirflowAPIError 403 with Airflow's reason ([api] expose_config is off)"""
    outcome = finishes_within(30, lambda: api.get_config(client(api, airflow, "admin")), "get_config()")
    check(isinstance(outcome.error, api.AirflowAPIError),
          f"expected AirflowAPIError (403), got {type(outcome.error).__name__ if outcome.error else 'the config'}")
    check_equal(outcome.error.status, 403, "the status")
    check("expose" in str(outcome.error), f"the message should carry Airflow's reason: {str(outcome.error)!r}")

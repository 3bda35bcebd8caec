"""Lab 4 · Variables and config: every Variable, secrets masked by Airflow, config forbidden."""
from __future__ import annotations

import pytest

from labkit.grading.checks import check, check_equal, finishes_within
from tests.lab4.helpers import STOP_HINT, client, past_the_end, recording_proxy


@pytest.mark.points(2)
@pytest.mark.timeout(70)  # its own waits (finishes_within) add up to 60 s
def test_variables_listed_with_secrets_masked(api, airflow, variables, capsys):
    """list_variables() returns all 12 (two pages); secret ones come back "***" and never appear in clear"""
    outcome = finishes_within(60, lambda: api.list_variables(client(api, airflow, "admin"), page_size=5), "list_variables()")
    check(outcome.error is None, f"list_variables() raised {type(outcome.error).__name__}: {outcome.error}")
    got = outcome.result
    check(isinstance(got, dict), f"list_variables() should return a dict key → value, got {type(got).__name__}")
    missing = sorted((set(variables["plain"]) | set(variables["secret"])) - set(got))
    check(not missing, f"list_variables(page_size=5) returned {len(got)} Variables; missing {len(missing)} of the 12, e.g. {missing[:3]}",
          "follow the pages, as in list_dags()")
    for key, value in variables["plain"].items():
        check_equal(got.get(key), value, f"Variable {key}", "key → value: the 'key' and 'value' fields of each item")
    printed = capsys.readouterr()
    for key, value in variables["secret"].items():
        check_equal(got.get(key), api.MASK, f"Variable {key} (a secret-looking key)")
        check(value not in repr(got) and value not in printed.out + printed.err, f"the value of {key} appears in clear")


@pytest.mark.points(1)
@pytest.mark.timeout(30)  # its own wait ends at 20 s
def test_list_variables_stops_at_the_last_page(api, airflow, variables):
    """list_variables() stops when it holds total_entries: no request for a page past the end"""
    with recording_proxy(airflow.url) as proxy:
        outcome = finishes_within(20, lambda: api.list_variables(client(api, airflow, "admin", url=proxy.url), page_size=5),
                                  "list_variables()")
    check(outcome.error is None, f"list_variables() raised {type(outcome.error).__name__}: {outcome.error}")
    calls = proxy.calls("GET", "/api/v2/variables")
    extra = past_the_end(calls)
    check(extra is None,
          f"list_variables(page_size=5) sent {len(calls)} requests (offsets {', '.join(str(c.offset()) for c in calls)}): "
          f"request {extra and extra[0]} (offset={extra and extra[1]}) came after Airflow had returned all "
          f"{extra and extra[2]} Variables, a page past the end", STOP_HINT)


@pytest.mark.points(1)
@pytest.mark.timeout(40)  # its own waits (finishes_within) add up to 30 s
def test_config_is_forbidden(api, airflow):
    """get_config() raises AirflowAPIError 403 with Airflow's reason ([api] expose_config is off)"""
    outcome = finishes_within(30, lambda: api.get_config(client(api, airflow, "admin")), "get_config()")
    check(isinstance(outcome.error, api.AirflowAPIError),
          f"expected AirflowAPIError (403), got {type(outcome.error).__name__ if outcome.error else 'the config'}")
    check_equal(outcome.error.status, 403, "the status")
    check("expose" in str(outcome.error), f"the message should carry Airflow's reason: {str(outcome.error)!r}")

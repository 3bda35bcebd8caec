"""Logs in again on any 401 or 403: a missing permission costs a second login and a second request, every time."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_a_forbidden_call_is_not_retried"]
FIRST_REASON = r"sent it 2 times.*not a rejected token"
EDITS = [
    ("""            token_rejected = response.status_code == 401 or (response.status_code == 403 and "Invalid JWT" in response.text)
""", """            token_rejected = response.status_code in (401, 403)
"""),
]

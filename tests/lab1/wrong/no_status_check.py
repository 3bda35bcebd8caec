"""No raise_for_status(): an HTTP 500 or 401 body is treated as a forecast."""
MUST_FAIL = ["test_fetch_fails_on_http_errors"]
FIRST_REASON = r'raise_for_status|HTTP 500'
EDITS = [
    ("    response.raise_for_status()  # a 401/500 must fail the task, not load an error page\n", ""),
]

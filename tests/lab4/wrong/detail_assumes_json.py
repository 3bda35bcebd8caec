"""response.json()["detail"] for every failed answer: a proxy's HTML 502 page (the API server behind it is down) raises JSONDecodeError."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_an_html_error_page_is_one_short_line"]
FIRST_REASON = r"JSONDecodeError.*not JSON|catch it and use the response's text"
EDITS = [
    ("""    try:
        detail = response.json().get("detail", "")
    except ValueError:  # not JSON (a proxy's HTML error page): its text, on one line, cut short
        detail = " ".join(response.text.split())[:200]
""", """    detail = response.json().get("detail", "")
"""),
]

"""A body that is not JSON pasted in whole: a proxy's HTML 502 page turns the one-line error into a page of markup."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_an_html_error_page_is_one_short_line"]
FIRST_REASON = r"not the whole page"
EDITS = [
    ("""        detail = " ".join(response.text.split())[:200]
""", """        detail = response.text
"""),
]

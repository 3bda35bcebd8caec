"""Pages until one comes back empty, ignoring total_entries: every listing costs a request past the last page."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_list_dags_stops_at_the_last_page"]
FIRST_REASON = r"a page past the end"
EDITS = [
    ("""        if not page["dags"] or len(dags) >= page["total_entries"]:
            return dags
""", """        if not page["dags"]:
            return dags
"""),
]

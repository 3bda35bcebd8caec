"""One request for the DAG list: the server caps a page (here at 10), so DAGs 11 to 26 are never seen."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_list_dags_follows_pagination"]
FIRST_REASON = r'returned 10 of the 26'
EDITS = [
    ("""    dags: list[dict[str, Any]] = []
    while True:
        page = client.request("GET", "/api/v2/dags", params={**params, "offset": len(dags)})
        dags.extend(page["dags"])
        if not page["dags"] or len(dags) >= page["total_entries"]:
            return dags
""", """    return client.request("GET", "/api/v2/dags", params=params)["dags"]
"""),
]

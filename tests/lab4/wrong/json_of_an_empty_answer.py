"""Decodes every answer as JSON: a 204 (a DELETE) has no body, and request() raises JSONDecodeError on a success."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_an_empty_answer_is_none"]
FIRST_REASON = r"answers 204, no body"
EDITS = [
    ("""        return response.json() if response.content else None
""", """        return response.json()
"""),
]

"""response.raise_for_status(): the student gets httpx's HTTPStatusError, without Airflow's reason."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_http_errors_name_status_and_reason"]
FIRST_REASON = r'HTTPStatusError'
EDITS = [
    ("""        if not response.is_success:
            raise AirflowAPIError(describe_error(response, self.username), response.status_code)
        return response.json() if response.content else None
""", """        response.raise_for_status()
        return response.json() if response.content else None
"""),
]

"""A login error that shows the password it tried ("to help debugging"): it lands in logs and chat."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_wrong_password_is_explained"]
FIRST_REASON = r'shows the password'
EDITS = [
    ("""            if not response.is_success:
                raise AirflowAPIError(describe_error(response, self.username), response.status_code)
""", """            if not response.is_success:
                raise AirflowAPIError(f"login {self.username}/{self.password} failed ({response.status_code})", response.status_code)
"""),
]

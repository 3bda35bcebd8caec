"""The course's login as a header dict ({"username": …, "password": …}): Airflow 3 ignores it and answers 401."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_calls_send_the_bearer_token"]
FIRST_REASON = r'no Authorization header.*username, password|basic auth'
EDITS = [
    ("""            headers = {"Authorization": f"Bearer {self.token()}"} if authenticated else {}
""", """            headers = {"username": self.username, "password": self.password} if authenticated else {}
"""),
]

"""Renews the token only on 403 "Invalid JWT token": an expired token (401 "Token Expired") fails every call until a restart."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_an_expired_token_is_renewed_once"]
FIRST_REASON = r"expired an hour ago.*Token Expired"
EDITS = [
    ("""            token_rejected = response.status_code == 401 or (response.status_code == 403 and "Invalid JWT" in response.text)
""", """            token_rejected = response.status_code == 403 and "Invalid JWT" in response.text
"""),
]

"""Trusts the connection: json.loads and go. A bad paste fails deep inside google-auth, naming nothing."""
FILE = "common/sheets.py"
MUST_FAIL = ["test_a_bad_service_account_key_fails_with_a_clear_message"]
FIRST_REASON = r"name the connection 'google_sheets'"
EDITS = [
    ("""    where = f"connection {conn_id!r}, extra field keyfile_dict"
    if isinstance(raw, (bytes, str)):""",
     """    return json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    where = f"connection {conn_id!r}, extra field keyfile_dict"
    if isinstance(raw, (bytes, str)):"""),
]

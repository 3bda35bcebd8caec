"""No check for an empty field: json.loads('') reports 'Expecting value at line 1, column 1' instead of 'empty'."""
FILE = "common/sheets.py"
MUST_FAIL = ["test_a_bad_service_account_key_fails_with_a_clear_message"]
FIRST_REASON = r"for an empty keyfile_dict.*\(empty\)"
EDITS = [
    ("""        if not raw.strip():
            raise ServiceAccountError(f"{where} is empty: paste the service account's JSON key there")
""", ""),
]

"""The course's gsheet.py: the key is written to a file so gspread can read it — and left there."""
FILE = "common/sheets.py"
MUST_FAIL = ["test_the_key_never_touches_the_disk_or_the_log"]
FIRST_REASON = r'private key was written to'
EDITS = [
    ("""    info = service_account_info(extra.get("keyfile_dict"), conn_id)
    return client_from_info(info, extra.get("api_url"))""",
     """    info = service_account_info(extra.get("keyfile_dict"), conn_id)
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "google-sheet.json"
    path.write_text(json.dumps(info))
    return client_from_info(json.loads(path.read_text()), extra.get("api_url"))"""),
]

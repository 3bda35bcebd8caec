"""ON CONFLICT without deduping the batch: a date twice in one INSERT cannot be updated twice, so the load fails."""
MUST_FAIL = ["test_on_conflict_upsert"]
FIRST_REASON = r'lists a date twice|dedupe the batch'
EDITS = [
    ("    latest = list({row[0]: row for row in rows}.values())\n", "    latest = list(rows)\n"),
]

"""ON CONFLICT … DO UPDATE SET created_date = now(): the first load's time is lost on every revision."""
MUST_FAIL = ["test_on_conflict_upsert"]
FIRST_REASON = r'created_date .*changed|DO UPDATE SET'
EDITS = [
    (
        """                        summary = EXCLUDED.summary,
                        updated_date = now()""",
        """                        summary = EXCLUDED.summary,
                        created_date = now(),
                        updated_date = now()""",
    )
]

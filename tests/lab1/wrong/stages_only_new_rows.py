"""Staging holds only the new rows: DELETE + INSERT from staging drops every date the new run did not forecast."""
MUST_FAIL = ["test_no_duplicate_dates_after_overlapping_runs", "test_the_newest_forecast_wins", "test_created_date_is_kept"]
FIRST_REASON = r'are gone|old rows AND the new'
EDITS = [
    ('            cur.execute(sql.SQL("INSERT INTO staging SELECT * FROM {}").format(target))\n', ""),
]

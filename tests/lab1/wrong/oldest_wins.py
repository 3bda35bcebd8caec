"""ROW_NUMBER ordered by created_date ASC keeps the OLDEST forecast, so revisions never land."""
MUST_FAIL = ["test_the_newest_forecast_wins"]
FIRST_REASON = r'newest'
EDITS = [
    (
        "ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC)",
        "ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date ASC)",
    )
]

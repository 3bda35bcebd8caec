"""The final INSERT leaves out created_date, so every swap stamps every row with now()."""
MUST_FAIL = ["test_created_date_is_kept"]
FIRST_REASON = r'created_date .*changed|created_date from staging'
EDITS = [
    (
        """                    INSERT INTO {} (date, temp, min_temp, max_temp, summary, created_date)
                    SELECT date, temp, min_temp, max_temp, summary, created_date
                    FROM (""",
        """                    INSERT INTO {} (date, temp, min_temp, max_temp, summary)
                    SELECT date, temp, min_temp, max_temp, summary
                    FROM (""",
    )
]

"""SELECT DISTINCT is not a dedupe: a revised forecast gives two distinct rows for one date."""
MUST_FAIL = ["test_no_duplicate_dates_after_overlapping_runs", "test_a_date_listed_twice_in_one_forecast_loads_once"]
FIRST_REASON = r'more than once|DISTINCT'
EDITS = [
    (
        """                    SELECT date, temp, min_temp, max_temp, summary, created_date
                    FROM (
                        SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq
                        FROM staging
                    ) AS ranked
                    WHERE seq = 1""",
        """                    SELECT DISTINCT date, temp, min_temp, max_temp, summary, created_date
                    FROM staging""",
    )
]

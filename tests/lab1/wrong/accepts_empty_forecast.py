"""to_rows accepts an empty forecast: an API answering `daily: []` makes a run that loads nothing look like success."""
MUST_FAIL = ["test_transform_refuses_an_empty_forecast", "test_a_failing_api_fails_the_run_and_keeps_the_table"]
FIRST_REASON = r'empty forecast'
EDITS = [
    (
        """    if not daily:
        raise ValueError("the forecast has no daily entries: refusing to replace data with nothing")
""",
        "",
    )
]

"""Drops the % sign but keeps the number: 5.32% loads as 5.32, a hundred times the rate (Decimal is used, exactly)."""
MUST_FAIL = ["test_cells_are_cleaned_into_exact_numbers", "test_sheet_rows_arrive_in_the_table_exactly"]
FIRST_REASON = r"not divided by 100"
EDITS = [
    ("    return value / 100 if percent else value\n", "    return value\n"),
]

"""Drops the $ but not the thousands separator: '$12,000' is refused as 'not a number', and so is the whole sheet."""
MUST_FAIL = ["test_cells_are_cleaned_into_exact_numbers", "test_sheet_rows_arrive_in_the_table_exactly"]
FIRST_REASON = r"thousands separator ',' is not removed"
EDITS = [
    ("""    text = cell.strip().replace("$", "").replace(",", "")""", """    text = cell.strip().replace("$", "")"""),
]

"""Numbers rows from the first data row: the message says row 6 where Sheets shows row 7."""
FILE = "lab3_sheet_to_warehouse.py"
MUST_FAIL = ["test_a_non_numeric_cell_fails_naming_row_and_column"]
FIRST_REASON = r'row 7[\s\S]*header as row 1'
EDITS = [
    ("for number, row in enumerate(rows[1:], start=2)", "for number, row in enumerate(rows[1:], start=1)"),
]

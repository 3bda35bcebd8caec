"""Cleans with float(): 5.32% becomes 0.053200000000000004, and money gets binary rounding."""
FILE = "lab3_sheet_to_warehouse.py"
MUST_FAIL = ["test_cells_are_cleaned_into_exact_numbers"]
FIRST_REASON = r'Decimal, not float'
EDITS = [
    ("""    return value / 100 if percent else value
    # END SOLUTION""",
     """    return float(value) / 100 if percent else float(value)
    # END SOLUTION"""),
]

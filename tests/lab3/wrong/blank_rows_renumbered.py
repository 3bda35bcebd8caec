"""Drops blank rows first and numbers what is left: after a gap, every message names the wrong row."""
MUST_FAIL = ["test_after_a_blank_row_problems_keep_their_sheets_row_number"]
FIRST_REASON = r"row 9[\s\S]*enumerate"
EDITS = [
    ("""    return [clean_row(row, number) for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]""",
     """    filled = [row for row in rows[1:] if any(c.strip() for c in row)]
    return [clean_row(row, number) for number, row in enumerate(filled, start=2)]"""),
]

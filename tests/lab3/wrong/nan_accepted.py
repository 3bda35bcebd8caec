"""Trusts Decimal(): 'nan' and 'Infinity' parse without an error, and PostgreSQL's numeric stores them."""
MUST_FAIL = ["test_cells_are_cleaned_into_exact_numbers"]
FIRST_REASON = r"is_finite"
EDITS = [
    ("""    if not value.is_finite():
        raise ValueError(f"{cell!r} is not a number")
""", ""),
]

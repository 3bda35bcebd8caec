"""Splits the month without checking it: '2019/03' fails with a bare unpacking error that names no row or column."""
MUST_FAIL = ["test_a_bad_month_an_empty_channel_and_a_stray_note_name_their_cell"]
FIRST_REASON = r"month '2019/03' in row 4"
EDITS = [
    ("""    if not _MONTH.match(month):
        raise SheetFormatError(f"row {row_number}, column month: {month!r} is not a month like 2019-01")
""", ""),
]

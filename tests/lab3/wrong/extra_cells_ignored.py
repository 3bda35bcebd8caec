"""Reads the first five cells of each row and ignores the rest: a value typed in column F vanishes silently."""
MUST_FAIL = ["test_a_bad_month_an_empty_channel_and_a_stray_note_name_their_cell"]
FIRST_REASON = r"accepted the note .* in F8"
EDITS = [
    ("""    for index in range(len(COLUMNS), len(row)):
        if row[index].strip():
            raise SheetFormatError(f"row {row_number}, column {column_letter(index)}: {row[index]!r} is beyond the table's "
                                   f"{len(COLUMNS)} columns ({', '.join(COLUMNS)})")
""", ""),
]

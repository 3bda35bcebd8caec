"""Never checks the channel: a row with the channel left empty loads as '' and nobody notices."""
MUST_FAIL = ["test_a_bad_month_an_empty_channel_and_a_stray_note_name_their_cell"]
FIRST_REASON = r"accepted an empty channel"
EDITS = [
    ("""    if not channel:
        raise SheetFormatError(f"row {row_number}, column channel: empty")
""", ""),
]

"""The course's SQL → Sheet: clear() the tab, then write. A failed write leaves the sheet empty."""
FILE = "lab3_sql_to_sheet.py"
MUST_FAIL = ["test_a_failure_mid_write_keeps_the_previous_sheet"]
FIRST_REASON = r'left EMPTY'
EDITS = [
    ("""    worksheet.update(padded, "A1", value_input_option="RAW")""",
     """    worksheet.clear()
    worksheet.update(values, "A1", value_input_option="RAW")"""),
]

"""Header in one request, rows in another: a failure between them leaves a half-written tab."""
FILE = "lab3_sql_to_sheet.py"
MUST_FAIL = ["test_a_failure_mid_write_keeps_the_previous_sheet"]
FIRST_REASON = r'ONE update'
EDITS = [
    ("""    worksheet.update(padded, "A1", value_input_option="RAW")""",
     """    worksheet.update(padded[:1], "A1", value_input_option="RAW")
    worksheet.update(padded[1:], "A2", value_input_option="RAW")"""),
]

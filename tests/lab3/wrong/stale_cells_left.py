"""Writes the new rows over the old ones without blanking the rest: stale rows and columns stay."""
FILE = "lab3_sql_to_sheet.py"
MUST_FAIL = ["test_the_sheet_equals_the_query_result"]
FIRST_REASON = r'must be blanked'
EDITS = [
    ("""    worksheet.update(padded, "A1", value_input_option="RAW")""",
     """    worksheet.update(values, "A1", value_input_option="RAW")"""),
]

"""Table names pasted into SQL with f-strings: a name carrying SQL runs it."""
MUST_FAIL = ["test_refuses_an_unsafe_table_name"]
FIRST_REASON = r'table name|Identifier'
EDITS = [
    ("    target = table_identifier(table)\n    with conn:  # commits", "    target = sql.SQL(table)\n    with conn:  # commits"),
    (
        """        ).format(table_identifier(table))
    )""",
        """        ).format(sql.SQL(table))
    )""",
    ),
]

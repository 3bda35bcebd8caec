"""DELETE and COPY as separate commits: a COPY that fails leaves an empty table behind."""
FILE = "lab3_sheet_to_warehouse.py"
MUST_FAIL = ["test_a_failed_copy_leaves_the_table_as_it_was"]
FIRST_REASON = r'ONE transaction'
EDITS = [
    ("""    with conn, conn.cursor() as cur:
        cur.execute(CREATE_TABLE.format(table=table))""",
     """    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(CREATE_TABLE.format(table=table))"""),
]

"""TRUNCATE instead of DELETE: still atomic in PostgreSQL, but every reader waits until the load commits."""
MUST_FAIL = ["test_readers_see_yesterdays_rows_while_the_table_is_replaced"]
FIRST_REASON = r"TRUNCATE"
EDITS = [
    ("""        cur.execute(sql.SQL("DELETE FROM {}").format(table))""", """        cur.execute(sql.SQL("TRUNCATE {}").format(table))"""),
]

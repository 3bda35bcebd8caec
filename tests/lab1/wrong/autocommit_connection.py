"""The course's autocommit=True connection: every statement commits alone, so a failure after DELETE empties the table."""
MUST_FAIL = ["test_a_failure_mid_swap_loses_nothing"]
FIRST_REASON = r'EMPTY after a failed load|one transaction'
EDITS = [
    # psycopg2's `with conn:` would still open one transaction (even under autocommit), so
    # the student's version only closes the connection at the end.
    (
        "    with conn:  # commits on success, rolls back on any exception\n        with conn.cursor() as cur:\n            create_table(cur, table)",
        "    conn.autocommit = True  # like the course's get_Redshift_connection(autocommit=True)\n"
        "    with closing(conn):\n        with conn.cursor() as cur:\n            create_table(cur, table)",
    ),
    # Under autocommit ON COMMIT DROP drops staging as soon as it is created; a student who
    # hit "relation staging does not exist" keeps the temp table for the session instead.
    ("ON COMMIT DROP\").format(target))", "ON COMMIT PRESERVE ROWS\").format(target))"),
]

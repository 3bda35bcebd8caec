"""A commit between DELETE and INSERT: a failure in between empties the table."""
MUST_FAIL = ["test_a_failure_mid_swap_loses_nothing"]
FIRST_REASON = r'EMPTY after a failed load|one transaction'
EDITS = [
    ("ON COMMIT DROP\").format(target))", "ON COMMIT PRESERVE ROWS\").format(target))"),
    (
        """            cur.execute(sql.SQL("DELETE FROM {}").format(target))
""",
        """            cur.execute(sql.SQL("DELETE FROM {}").format(target))
            conn.commit()  # the course's mistake: each step commits on its own
""",
    ),
]

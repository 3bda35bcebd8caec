"""The swap's steps commit one by one: a failure halfway leaves the summary missing."""
MUST_FAIL = ["test_a_failed_swap_keeps_the_old_table"]
FIRST_REASON = r'committed before the DROP|one transaction'
EDITS = [
    (
        """                    cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(target, sql.Identifier(old)))
""",
        """                    cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(target, sql.Identifier(old)))
                    conn.commit()  # each step on its own
""",
    ),
    (
        """                cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(temp, sql.Identifier(config.table)))
""",
        """                cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(temp, sql.Identifier(config.table)))
                conn.commit()
""",
    ),
]

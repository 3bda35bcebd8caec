"""DROP … CASCADE in the swap: a view built on the summary silently disappears."""
MUST_FAIL = ["test_a_failed_swap_keeps_the_old_table"]
FIRST_REASON = r'CASCADE'
EDITS = [
    (
        """cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(config.schema, old)))""",
        """cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(config.schema, old)))""",
    ),
]

"""after_sql runs after the swap has been committed: when it fails, the task fails but the new table is already live."""
MUST_FAIL = ["test_after_sql_runs_after_the_swap_in_the_builds_transaction", "test_a_build_cut_off_at_its_last_step_changes_nothing"]
FIRST_REASON = r"the swap was committed before after_sql ran|after_sql belongs to the build's one transaction"
EDITS = [
    (
        """                if config.after_sql:
                    cur.execute(config.after_sql)
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))
                return cur.fetchone()[0]
""",
        """        with conn:  # the swap is done: now the extras
            with conn.cursor() as cur:
                if config.after_sql:
                    cur.execute(config.after_sql)
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))
                return cur.fetchone()[0]
""",
    ),
]

"""Output checks run after the swap: a summary that fails them has already replaced the old one."""
MUST_FAIL = ["test_a_failed_output_check_keeps_the_old_table"]
FIRST_REASON = r'holds the rebuilt rows.*swapped in before its output checks|output checks on the temporary table'
EDITS = [
    (
        """                run_checks(cur, config.output_check, table=temp, stage="output check")
""",
        "",
    ),
    (
        """                if config.after_sql:
                    cur.execute(config.after_sql)
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))""",
        """                if config.after_sql:
                    cur.execute(config.after_sql)
            conn.commit()  # swapped: now check the table everyone already reads
            with conn.cursor() as cur:
                run_checks(cur, config.output_check, table=target, stage="output check")
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))""",
    ),
]

"""The summary is refreshed in place with DELETE + INSERT … main_sql (lab 1's way): no swap, so the old table's columns stay and a view on it never stops a rebuild."""
MUST_FAIL = ["test_a_failed_swap_keeps_the_old_table", "test_a_rebuild_with_new_columns_replaces_the_table_whole"]
FIRST_REASON = r"rewritten in place"
EDITS = [
    (
        """                cur.execute(sql.SQL("CREATE TABLE {} AS ").format(temp) + sql.SQL(config.main_sql))
                run_checks(cur, config.output_check, table=temp, stage="output check")
                # The swap, in the same transaction: all of it happens or none of it.
                cur.execute("SELECT to_regclass(%s)", (f"{config.schema}.{config.table}",))
                exists = cur.fetchone()[0] is not None
                if exists:
                    cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(target))
                    cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(target, sql.Identifier(old)))
                cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(temp, sql.Identifier(config.table)))
                if exists:
                    # No CASCADE: a view on the summary makes this fail, and the swap with it.
                    cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(config.schema, old)))
""",
        """                cur.execute("SELECT to_regclass(%s)", (f"{config.schema}.{config.table}",))
                if cur.fetchone()[0] is None:
                    cur.execute(sql.SQL("CREATE TABLE {} AS ").format(target) + sql.SQL(config.main_sql))
                else:  # readers keep seeing the old rows until the commit (MVCC)
                    cur.execute(sql.SQL("DELETE FROM {}").format(target))
                    cur.execute(sql.SQL("INSERT INTO {} ").format(target) + sql.SQL(config.main_sql))
                run_checks(cur, config.output_check, table=target, stage="output check")
""",
    ),
]

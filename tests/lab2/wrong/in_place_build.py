"""The summary is rebuilt in place (DROP, then CREATE TABLE … AS under the live name, checked there, one transaction): readers wait for the whole build."""
MUST_FAIL = ["test_readers_keep_the_previous_table_while_a_build_runs"]
FIRST_REASON = r"reader of nps_summary_monthly waited .* while a rebuild was still running|rewritten in place"
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
        """                # No temporary table: the transaction rolls everything back if a check fails.
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
                cur.execute(sql.SQL("CREATE TABLE {} AS ").format(target) + sql.SQL(config.main_sql))
                run_checks(cur, config.output_check, table=target, stage="output check")
""",
    ),
]

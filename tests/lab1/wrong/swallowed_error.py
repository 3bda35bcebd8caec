"""The error is caught, rolled back and printed but not re-raised: a failed load reports success."""
MUST_FAIL = ["test_a_failure_mid_swap_loses_nothing"]
FIRST_REASON = r'swallowed|reported success'
EDITS = [
    (
        '''    with conn:  # commits on success, rolls back on any exception
        with conn.cursor() as cur:
            create_table(cur, table)
            # LIKE … INCLUDING DEFAULTS keeps `created_date DEFAULT now()`; CTAS would not.
            cur.execute(sql.SQL("CREATE TEMP TABLE staging (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(target))
            cur.execute(sql.SQL("INSERT INTO staging SELECT * FROM {}").format(target))
            copy_rows(cur, sql.Identifier("staging"), rows)
            cur.execute(sql.SQL("DELETE FROM {}").format(target))
            cur.execute(
                sql.SQL(
                    """
                    INSERT INTO {} (date, temp, min_temp, max_temp, summary, created_date)
                    SELECT date, temp, min_temp, max_temp, summary, created_date
                    FROM (
                        SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq
                        FROM staging
                    ) AS ranked
                    WHERE seq = 1"""
                ).format(target)
            )
            cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))
            return cur.fetchone()[0]
''',
        '''    try:
        with conn:  # commits on success, rolls back on any exception
            with conn.cursor() as cur:
                create_table(cur, table)
                # LIKE … INCLUDING DEFAULTS keeps `created_date DEFAULT now()`; CTAS would not.
                cur.execute(sql.SQL("CREATE TEMP TABLE staging (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(target))
                cur.execute(sql.SQL("INSERT INTO staging SELECT * FROM {}").format(target))
                copy_rows(cur, sql.Identifier("staging"), rows)
                cur.execute(sql.SQL("DELETE FROM {}").format(target))
                cur.execute(
                    sql.SQL(
                        """
                        INSERT INTO {} (date, temp, min_temp, max_temp, summary, created_date)
                        SELECT date, temp, min_temp, max_temp, summary, created_date
                        FROM (
                            SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq
                            FROM staging
                        ) AS ranked
                        WHERE seq = 1"""
                    ).format(target)
                )
                cur.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target))
                return cur.fetchone()[0]
    except Exception as error:  # roll back and print... but never re-raise
        conn.rollback()
        print(error)
        return 0
''',
    )
]

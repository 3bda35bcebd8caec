"""CTAS staging (CREATE TABLE … AS SELECT) drops the DEFAULT: new rows get created_date NULL."""
MUST_FAIL = ["test_every_row_has_a_created_date"]
FIRST_REASON = r'created_date NULL|INCLUDING DEFAULTS|CTAS'
EDITS = [
    (
        """cur.execute(sql.SQL("CREATE TEMP TABLE staging (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(target))
            cur.execute(sql.SQL("INSERT INTO staging SELECT * FROM {}").format(target))""",
        """cur.execute(sql.SQL("CREATE TEMP TABLE staging ON COMMIT DROP AS SELECT * FROM {}").format(target))""",
    )
]

"""The course's per-row f-string INSERT: an apostrophe in a value breaks the SQL (and it is slow)."""
MUST_FAIL = ["test_values_with_quotes_load_verbatim"]
FIRST_REASON = r'apostrophe|parameters'
EDITS = [
    (
        """            copy_rows(cur, sql.Identifier("staging"), rows)""",
        """            for day, temp, low, high, summary in rows:
                cur.execute(f"INSERT INTO staging (date, temp, min_temp, max_temp, summary) "
                            f"VALUES ('{day}', {temp}, {low}, {high}, '{summary}')")""",
    )
]

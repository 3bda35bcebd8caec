"""A check's value is compared without a NULL test: a check whose query finds NULL (or no row) crashes with TypeError instead of failing as a check."""
MUST_FAIL = ["test_a_check_that_finds_no_value_fails_as_a_check"]
FIRST_REASON = r"finds (NULL|no row) made the build crash|NULL \(or no row\) meets no bound"
EDITS = [
    (
        """        row = cur.fetchone()
        value = row[0] if row else None
        bounds = expected(check)
        ok = value is not None and (""",
        """        value = cur.fetchone()[0]
        bounds = expected(check)
        ok = (""",
    ),
]

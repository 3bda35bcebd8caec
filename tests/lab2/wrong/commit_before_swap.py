"""The checked temporary table is committed, then swapped in by a second transaction: a build cut off in between leaves its temporary table behind."""
MUST_FAIL = ["test_a_build_cut_off_at_its_last_step_changes_nothing"]
FIRST_REASON = r"left behind in schema analytics after a rebuild cut off|commit nothing before the swap"
EDITS = [
    (
        """                run_checks(cur, config.output_check, table=temp, stage="output check")
                # The swap, in the same transaction: all of it happens or none of it.
""",
        """                run_checks(cur, config.output_check, table=temp, stage="output check")
        with conn:  # the checked table is safe now: swap it in, in a transaction of its own
            with conn.cursor() as cur:
""",
    ),
]

"""The course's fixed temp_<table> name, committed before the checks: overlapping runs collide."""
MUST_FAIL = ["test_two_overlapping_builds_do_not_collide"]
FIRST_REASON = r'committed before the build failed|unique to the run'
EDITS = [
    ('    return f"{config.table}__tmp_{hashlib.sha1(run_id.encode()).hexdigest()[:10]}"', '    return f"temp_{config.table}"'),
    (
        """                cur.execute(sql.SQL("CREATE TABLE {} AS ").format(temp) + sql.SQL(config.main_sql))
""",
        """                cur.execute(sql.SQL("CREATE TABLE {} AS ").format(temp) + sql.SQL(config.main_sql))
                conn.commit()  # the course committed each step
""",
    ),
]

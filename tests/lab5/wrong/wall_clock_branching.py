"""The course's branch on the wall clock (datetime.now()): a rerun or backfill of last Monday takes whatever branch today says."""
FILE = "lab5_branching.py"
MUST_FAIL = ["test_summaries_follow_the_logical_date"]
FIRST_REASON = r"never from datetime\.now"
EDITS = [
    ('    return ["daily_summary", "weekly_summary"] if logical_date.weekday() == 0 else ["daily_summary"]\n',
     '    return ["daily_summary", "weekly_summary"] if datetime.now().weekday() == 0 else ["daily_summary"]\n'),
]

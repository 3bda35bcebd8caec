"""The course's message: str(task_instance) and the error, but no run, try, date or link to the log."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_a_failed_task_posts_one_alert_with_the_facts"]
FIRST_REASON = r"link to the task's log"
EDITS = [
    ("""            f"• log: {ti.log_url}",\n""", ""),
    ("""            f"• try: {ti.try_number} of {tries}",\n""", ""),
]

"""'try 1 of {retries}': forgets that the first try is not a retry, so the last try reads 'try 2 of 1'."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_a_failed_task_posts_one_alert_with_the_facts", "test_a_retry_posts_a_retry_notice_then_the_failure"]
FIRST_REASON = r"try 1 of 1: retries \+ 1"
EDITS = [
    ("""    tries = (getattr(task, "retries", 0) or 0) + 1""", """    tries = getattr(task, "retries", 0) or 0"""),
]

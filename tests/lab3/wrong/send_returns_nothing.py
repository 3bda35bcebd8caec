"""send_to_slack posts and logs, but returns nothing: a caller cannot tell a sent alert from a lost one."""
FILE = "common/alerts.py"
MUST_FAIL = ["test_send_to_slack_says_whether_the_alert_went_out"]
FIRST_REASON = r"returned None when Slack accepted"
EDITS = [
    ("""        return False
    return True
    # END SOLUTION""", """    # END SOLUTION"""),
]

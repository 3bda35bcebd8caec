"""`except Exception: return False` without a word: when alerts break, nobody ever finds out."""
FILE = "monitoring/health_monitor.py"
MUST_FAIL = ["test_notify_slack_says_whether_the_alert_went_out"]
FIRST_REASON = r"printed nothing on stderr"
EDITS = [
    ("""        print(f"could not alert Slack through connection {conn_id!r}: {type(error).__name__}: {error}", file=sys.stderr)
""", ""),
]

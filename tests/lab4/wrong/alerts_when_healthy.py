"""Posts to Slack after every check, healthy or not: the channel fills with noise and people mute it."""
FILE = "monitoring/health_monitor.py"
MUST_FAIL = ["test_monitor_is_quiet_when_healthy"]
FIRST_REASON = r'Slack posts when all is well'
EDITS = [
    ("    if report.exit_code != 0 and not args.no_alert:\n", "    if not args.no_alert:\n"),
]

"""Lab 3 graded tests: Slack alerts, Google Sheets ↔ warehouse."""

"""The cleanup removes emptied folders but never records them: the report always says 0 folders removed."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_the_report_says_what_was_freed"]
FIRST_REASON = r"report\.folders"
EDITS = [("            here.rmdir()\n            report.folders.append(here)\n", "            here.rmdir()\n")]

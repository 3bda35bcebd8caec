"""Off by one at the threshold: a file exactly 30 days old is deleted, though it is not MORE than 30 days old."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_a_log_file_exactly_as_old_as_the_threshold_stays"]
FIRST_REASON = r"exactly 30 days old was deleted.*\n.*st_mtime < now - older_than"
EDITS = [("or not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:\n", "or not stat.S_ISREG(info.st_mode) or info.st_mtime > cutoff:\n")]

"""Links are skipped but nothing else is checked: an old named pipe (a log shipper's) in the log folder is deleted as if it were a log file."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_only_regular_files_are_deleted"]
FIRST_REASON = r"named pipe.*\n.*S_ISREG"
EDITS = [("            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:\n",
          "            if stat.S_ISLNK(info.st_mode) or info.st_mtime >= cutoff:\n")]

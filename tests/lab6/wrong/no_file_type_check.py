"""Every entry is judged by its lstat mtime alone: an old symbolic link is deleted (the link itself), and so is an old named pipe."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_symbolic_links_are_never_followed", "test_only_regular_files_are_deleted"]
FIRST_REASON = r"symbolic link.* were deleted.*\n.*S_ISREG"
EDITS = [("            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:\n",
          "            if info.st_mtime >= cutoff:\n")]

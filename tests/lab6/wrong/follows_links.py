"""os.walk(followlinks=True) and stat() instead of lstat(): old files OUTSIDE the log folder are deleted through links."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_symbolic_links_are_never_followed"]
FIRST_REASON = r"OUTSIDE the log folder .* through a symbolic link"
EDITS = [
    ("    for folder, _dirs, files in os.walk(base, topdown=False, followlinks=False):\n",
     "    for folder, _dirs, files in os.walk(base, topdown=False, followlinks=True):\n"),
    ("            info = os.lstat(path)\n            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:\n",
     "            info = os.stat(path)\n            if not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:\n"),
]

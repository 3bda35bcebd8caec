"""The course's `find -mindepth 2 -mtime +1 -exec rm -rf`: whole folders go by their own mtime, with today's logs inside."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_only_files_older_than_the_threshold_are_deleted"]
FIRST_REASON = r"files left in the log folder.*\n.*own mtime"
EDITS = [
    ("    for folder, _dirs, files in os.walk(base, topdown=False, followlinks=False):\n",
     """    import shutil

    for top in sorted(base.iterdir()):  # depth 2, judged by the folder's own mtime, like the course's find
        for entry in sorted(top.iterdir()) if top.is_dir() and not top.is_symlink() else []:
            if entry.is_dir() and not entry.is_symlink() and os.lstat(entry).st_mtime < cutoff and not dry_run:
                shutil.rmtree(entry)
    for folder, _dirs, files in os.walk(base, topdown=False, followlinks=False):
"""),
]

"""os.fsync without flush(): the text is still in Python's buffer when fsync runs, so a crash right after os.replace leaves an empty export."""
FILE = "backups/secrets.py"
MUST_FAIL = ["test_the_export_is_on_disk_before_it_takes_its_name"]
FIRST_REASON = r"fsynced holding 0 of its .* bytes.*\n.*flush\(\) before os\.fsync"
EDITS = [("            fh.write(text)\n            fh.flush()\n", "            fh.write(text)\n")]

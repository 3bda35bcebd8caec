"""No fsync: the export is renamed into place while its bytes may still be only in memory; a power cut leaves an empty (or no) file under the final name."""
FILE = "backups/secrets.py"
MUST_FAIL = ["test_the_export_is_on_disk_before_it_takes_its_name"]
FIRST_REASON = r"never fsynced.*\n.*os\.fsync"
EDITS = [("            fh.write(text)\n            fh.flush()\n            os.fsync(fh.fileno())\n", "            fh.write(text)\n")]

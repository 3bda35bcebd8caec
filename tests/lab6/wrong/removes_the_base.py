"""Emptied folders are removed, the log folder itself included: when every log is old, Airflow's base_log_folder disappears."""
FILE = "backups/logs.py"
MUST_FAIL = ["test_a_log_folder_whose_files_are_all_old_is_kept"]
FIRST_REASON = r"log folder itself was removed.*\n.*below the base"
EDITS = [("        if here != base and not dry_run and not here.is_symlink() and not any(here.iterdir()):\n",
          "        if not dry_run and not here.is_symlink() and not any(here.iterdir()):\n")]

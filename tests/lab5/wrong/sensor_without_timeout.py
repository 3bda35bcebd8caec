"""An ExternalTaskSensor without a timeout: its default is 7 days, so a missing upstream holds a slot for a week."""
FILE = "lab5_reactive.py"
MUST_FAIL = ["test_sensor_without_upstream_fails_at_its_timeout"]
FIRST_REASON = r"timeout=\d+"
EDITS = [("        timeout=timeout,\n", "")]

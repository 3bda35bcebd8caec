"""mode="poke": the sensor holds a worker slot for as long as it waits (hours, on a 2-slot Airflow)."""
FILE = "lab5_reactive.py"
MUST_FAIL = ["test_sensor_gives_its_slot_back_between_checks"]
FIRST_REASON = r"mode is 'poke'"
EDITS = [('        mode="reschedule",\n', '        mode="poke",\n')]

"""A check's max is compared strictly (value < max): a value equal to max fails a check it meets."""
MUST_FAIL = ["test_check_bounds_are_inclusive"]
FIRST_REASON = r"which meets it|bounds are inclusive"
EDITS = [
    ('and ("max" not in bounds or value <= bounds["max"])', 'and ("max" not in bounds or value < bounds["max"])'),
]

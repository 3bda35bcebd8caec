"""datetime.fromtimestamp(dt) without tz: the date depends on the worker's time zone."""
MUST_FAIL = ["test_transform_reads_dt_in_utc"]
FIRST_REASON = r'time zone|tz=timezone\\.utc'
EDITS = [
    ("day = datetime.fromtimestamp(entry[\"dt\"], tz=timezone.utc).date()", "day = datetime.fromtimestamp(entry[\"dt\"]).date()"),
]

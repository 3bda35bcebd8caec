"""depends_on is not checked to be a list: `depends_on: nps_summary_daily` (no brackets) becomes a dependency on n, p, s, …"""
MUST_FAIL = ["test_depends_on_must_be_a_list"]
FIRST_REASON = r"\(a string, not a list\) loaded"
EDITS = [
    (
        """    depends_on = [] if raw.get("depends_on") is None else raw["depends_on"]
    if not isinstance(depends_on, list):  # a string is iterable too: "abc" would depend on a, b and c
        raise ConfigError(f"{source}: depends_on must be a list of table names, like [nps_summary_daily], not {_what(depends_on)}")
""",
        """    depends_on = raw.get("depends_on") or []
""",
    ),
]

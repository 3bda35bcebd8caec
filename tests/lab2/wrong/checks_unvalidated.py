"""Each check only has to name one kind: `unique: 5` or `range: "str"` loads, and the build fails later with a TypeError naming nothing."""
MUST_FAIL = ["test_a_malformed_check_is_refused_by_name"]
FIRST_REASON = r"\{'unique': 5\}.*loaded without an error"
EDITS = [
    (
        """        for number, one in enumerate(raw[name], 1):
            check_check(one, f"{name} #{number}", source, before_table=name == "input_check")
""",
        """        if not all(isinstance(c, dict) and len(set(c) & CHECK_KINDS) == 1 for c in raw[name]):
            raise ConfigError(f"{source}: {name} must be a list of checks, each with one of {', '.join(sorted(CHECK_KINDS))}")
""",
    ),
]

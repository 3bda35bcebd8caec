"""Unknown and missing fields are not checked: a misspelt field is silently ignored."""
MUST_FAIL = ["test_an_unknown_field_is_refused_by_name", "test_a_missing_field_is_refused_by_name"]
FIRST_REASON = r"misspelt field 'tabel' loaded without an error|unknown fields"
EDITS = [
    (
        """    unknown = sorted(set(raw) - REQUIRED - OPTIONAL)
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(REQUIRED | OPTIONAL))})")
    missing = sorted(REQUIRED - set(raw))
    if missing:
        raise ConfigError(f"{source}: missing required field(s) {', '.join(missing)}")
""",
        """    for name in REQUIRED:
        raw.setdefault(name, [])
""",
    ),
]

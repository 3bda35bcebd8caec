"""Only unknown fields are refused: a config missing a field crashes later with a KeyError instead of a ConfigError naming the field and the file."""
MUST_FAIL = ["test_a_missing_field_is_refused_by_name", "test_broken_yaml_and_several_missing_fields_are_named"]
FIRST_REASON = r"without output_check made load_config crash \(KeyError|missing fields"
EDITS = [
    (
        """    missing = sorted(REQUIRED - set(raw))
    if missing:
        raise ConfigError(f"{source}: missing required field(s) {', '.join(missing)}")
""",
        "",
    ),
]

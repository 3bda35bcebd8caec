"""The temporary table is created in the course's schema analytics whatever the config says: a summary of another schema ends up in analytics."""
MUST_FAIL = ["test_a_summary_in_another_schema_is_built_and_rebuilt_there"]
FIRST_REASON = r"use config\.schema"
EDITS = [
    ('    temp = sql.Identifier(config.schema, temp_name(config, run_id))', '    temp = sql.Identifier("analytics", temp_name(config, run_id))'),
]

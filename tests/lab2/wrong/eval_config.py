"""Configs read with yaml.load (the course used eval): a config file can run any code."""
MUST_FAIL = ["test_a_config_cannot_run_code"]
FIRST_REASON = r'ran a shell command|safe_load'
EDITS = [
    ('raw = parse_yaml(data.decode("utf-8"), path.name)', 'raw = yaml.load(data.decode("utf-8"), Loader=yaml.Loader)'),
]

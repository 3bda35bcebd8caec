"""Configs read with yaml.load (the course used eval): a config file can run any code."""
MUST_FAIL = ["test_a_config_cannot_run_code"]
FIRST_REASON = r'ran a shell command|safe_load'
EDITS = [
    ("raw = yaml.safe_load(Path(path).read_text(encoding=\"utf-8\"))", "raw = yaml.load(Path(path).read_text(encoding=\"utf-8\"), Loader=yaml.Loader)"),
]

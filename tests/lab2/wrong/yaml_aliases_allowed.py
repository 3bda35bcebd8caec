"""Configs parsed with plain yaml.safe_load: no Python tags, but aliases pass, and a 1 KB "billion laughs" file costs minutes of CPU and all the memory."""
MUST_FAIL = ["test_yaml_aliases_are_refused"]
FIRST_REASON = r"saying that aliases are not allowed|reuses a check with an alias"
EDITS = [
    ('raw = parse_yaml(data.decode("utf-8"), path.name)', 'raw = yaml.safe_load(data.decode("utf-8"))'),
]

"""The whole file is read, whatever its size: a 30 MB config costs a minute of CPU and half a gigabyte at every parse of the DAG file."""
MUST_FAIL = ["test_a_config_over_64_kb_is_refused"]
FIRST_REASON = r"64 KB and one byte.*loaded without an error"
EDITS = [
    (
        """        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)  # one byte more than allowed tells "too big" without reading it all
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path.name}: larger than {MAX_CONFIG_BYTES // 1024} KB ({MAX_CONFIG_BYTES} bytes): "
                              "a summary config is a page of YAML; this is a mistake or an attack")
""",
        """        data = path.read_bytes()
""",
    ),
]

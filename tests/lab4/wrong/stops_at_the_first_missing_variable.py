"""from_env() raises at the first missing variable: whoever sets it up fixes one, reruns, and meets the next."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_from_env_reads_its_prefix_and_names_every_missing_variable"]
FIRST_REASON = r"the message misses OPS_AIRFLOW_PASSWORD"
EDITS = [
    ("""        missing = [name for name in names.values() if not os.environ.get(name)]
        if missing:
            raise AirflowAPIError(f"set {', '.join(missing)} in the environment (credentials never live in code)")
""", """        for name in names.values():
            if not os.environ.get(name):
                raise AirflowAPIError(f"set {name} in the environment (credentials never live in code)")
"""),
]

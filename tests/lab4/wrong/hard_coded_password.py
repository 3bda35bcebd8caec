"""Environment first, the course's password as a fallback: the password is in the code (and in git)."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_credentials_come_from_the_environment"]
FIRST_REASON = r'built a client with password|hard-coded password'
EDITS = [
    ("""        names = {"base_url": f"{prefix}_URL", "username": f"{prefix}_USER", "password": f"{prefix}_PASSWORD"}
        missing = [name for name in names.values() if not os.environ.get(name)]
        if missing:
            raise AirflowAPIError(f"set {', '.join(missing)} in the environment (credentials never live in code)")
        return cls(**{field_: os.environ[name] for field_, name in names.items()}, timeout=timeout)
""", """        return cls(
            os.environ.get(f"{prefix}_URL", "http://localhost:8080"),
            os.environ.get(f"{prefix}_USER", "monitor"),
            os.environ.get("AIRFLOW_API_PASSWORD", "MonitorUser1"),
            timeout=timeout,
        )
"""),
]

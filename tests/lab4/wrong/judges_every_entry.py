"""check_health() judges whatever the answer lists, not the components it was asked about."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_check_health_judges_the_components_asked_for"]
FIRST_REASON = r"the components in the report"
EDITS = [
    ("""    return HealthReport([assess_component(name, health.get(name), now=now, max_age=max_age) for name in components])
""", """    return HealthReport([assess_component(name, entry, now=now, max_age=max_age) for name, entry in health.items()])
"""),
]

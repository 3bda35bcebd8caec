"""Local services the labs need, one module each.

Every service has one way to start it, one way to stop it, a health check, and
`env()`: the environment variables through which any process (pytest, a notebook
kernel, an Airflow task, a subprocess) reaches it.
"""

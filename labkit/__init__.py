"""Airflow Lab Kit: services, grading and release tooling for the labs."""
import sys

# Optional packages every labkit process declines, because importing them costs seconds and
# serves nothing here. jsonschema (which Airflow's configuration imports) compiles an IRI
# grammar with lark at import time whenever rfc3987-syntax is installed, and JupyterLab's
# jupyter-events installs it: 1-2 s in every process that imports Airflow (each grading run,
# each Airflow component, each kernel), for the "iri" format check that no Airflow setting or
# lab uses. Without it, jsonschema simply does not check that one format.
for _optional in ("rfc3987_syntax",):
    sys.modules.setdefault(_optional, None)  # type: ignore[arg-type]  # None: "not installed"

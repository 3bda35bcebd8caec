"""Airflow Lab Kit: services, grading and release tooling for the labs."""

"""Grading: the pytest plugin, targets, teaching checks, the runner and release tooling."""

"""Hidden lab 3 tests use the public suite's fixtures: the code under test and the warehouse with lab 2's summary."""
from tests.lab3.conftest import alerts, sheets_lib, to_sheet, to_warehouse, warehouse_template  # noqa: F401

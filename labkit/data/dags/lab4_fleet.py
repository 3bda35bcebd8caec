"""25 small DAGs, fleet_00 … fleet_24, for lab 4: enough for the API's list to need pages.

Grading caps a page at 10 ([api] maximum_page_limit), so 26 DAGs are three pages; the
lesson shows the same with page_size=10. They do nothing and are never scheduled.
"""
import pendulum

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for number in range(25):
    with DAG(
        f"fleet_{number:02d}",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        tags=["lab4", "fleet"],
    ) as fleet_dag:
        EmptyOperator(task_id="noop")
    globals()[fleet_dag.dag_id] = fleet_dag

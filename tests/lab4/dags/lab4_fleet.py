"""25 small DAGs, fleet_00 … fleet_24: more than two pages of the API's list (10 per page in grading)."""
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

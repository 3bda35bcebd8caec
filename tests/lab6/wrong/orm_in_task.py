"""The backup reads its connection through Airflow's ORM (airflow.settings.Session): Airflow 3 tasks have no database session."""
FILE = "lab6_backup_metadata.py"
MUST_FAIL = ["test_the_backup_reaches_the_database_through_its_connection_only"]
FIRST_REASON = r"imports airflow\.(models|settings).*ORM"
EDITS = [
    ("        db = Database.from_connection(BaseHook.get_connection(DB_CONN_ID))\n        s3, bucket",
     "        from airflow.models import Connection\n        from airflow.settings import Session\n\n"
     "        db = Database.from_connection(Session().query(Connection).filter_by(conn_id=DB_CONN_ID).one())\n        s3, bucket"),
]

"""Hidden lab 6 tests use the public suite's fixtures."""
from tests.lab6.conftest import (  # noqa: F401
    backup_dag,
    backup_module,
    cleanup_dag,
    database,
    drill_dag,
    empty_database,
    logs,
    metadata_db,
    pg,
    restore,
    s3,
    schema_ready,
    scratch_tmp,
    secrets,
    signing_key,
    store,
)

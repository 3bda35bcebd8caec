"""dag.test() ~5 s sooner: the in-process Task Execution API built for the one version used.

In Airflow 3, `dag.test()` runs every task through the Task Execution API, served inside the
test's own process (`InProcessExecutionAPI`). That app is a Cadwyn app: on its first request
it generates routers and schemas for every API version Airflow still serves (nine in 3.3).
That took 5–6 s of CPU in every grading process. py-spy put `_cadwyn_initialize` at a third of
a lab 2 run's CPU, before any student code ran. Only one client ever calls this app: the task
SDK installed beside it, which always sends its own version (`API_VERSION`). That is the
newest version, and its routes are the head routes unchanged.

`serve_only_the_sdk_version()` makes the in-process app know only that version. It takes the
same head routes, minus the routes that exist only in older versions, so no migration runs
either way. Init drops to ~1 s. Nothing changes for the SDK's requests, and the live api-server
(labs 4–5) is untouched. If this Airflow's SDK speaks an older version than the newest, or the
versions have head changes, it leaves everything as it is. The kit test compares the routes
with the full app's routes for that version.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_applied = False


def serve_only_the_sdk_version() -> bool:
    """Before the first dag.test() of this process; True if the app will be the light one."""
    global _applied
    if _applied:
        return True
    try:
        from cadwyn import HeadVersion, Version, VersionBundle
        from cadwyn.route_generation import _DELETED_ROUTE_TAG  # how Cadwyn marks older-only routes
        from fastapi import APIRouter

        from airflow.api_fastapi.execution_api import routes, versions
        from airflow.sdk.api.datamodels._generated import API_VERSION  # what the SDK client sends
    except ImportError as error:  # another Airflow or Cadwyn: the full app, as Airflow builds it
        log.debug("in-process API left as it is: %s", error)
        return False
    full = versions.bundle
    newest = full.versions[0].value if full.versions else None
    if newest != API_VERSION or full.head_version.changes:
        log.debug("in-process API left as it is: the SDK speaks %s, the newest is %s", API_VERSION, newest)
        return False
    current = APIRouter()
    current.routes.extend(r for r in routes.execution_api_router.routes if _DELETED_ROUTE_TAG not in getattr(r, "tags", ()))
    # create_task_execution_api_app() imports both names when it is called: it builds with these.
    versions.bundle = VersionBundle(HeadVersion(), Version(API_VERSION))
    routes.execution_api_router = current
    _applied = True
    return True

"""dag.test()'s in-process API, built for the SDK's version only, serves the same routes."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# In a fresh process: the change is process-wide, and it has to come before the first dag.test().
ROUTES_OF_THE_SDK_VERSION = textwrap.dedent("""
    import json, sys
    import labkit, airflow.sdk
    from cadwyn.route_generation import generate_versioned_routers
    from airflow.api_fastapi.execution_api import routes, versions
    from airflow.sdk.api.datamodels._generated import API_VERSION
    from labkit.grading import inprocess_api

    def shape(bundle, router):
        generated = generate_versioned_routers(router, bundle, api_version_parameter_name="Airflow-API-Version")
        served = generated.endpoints[API_VERSION]
        def schema(model):
            return model.model_json_schema() if hasattr(model, "model_json_schema") else repr(model)
        return sorted(
            [r.path, sorted(r.methods), r.name, schema(r.response_model),
             [schema(p.field_info.annotation) if hasattr(p, "field_info") else repr(p) for p in r.dependant.body_params]]
            for r in served.routes if hasattr(r, "methods")
        )

    full = shape(versions.bundle, routes.execution_api_router)
    assert inprocess_api.serve_only_the_sdk_version(), "this Airflow's SDK does not speak the newest version"
    assert [v.value for v in versions.bundle.versions] == [API_VERSION]
    light = shape(versions.bundle, routes.execution_api_router)
    # ... and the app dag.test() builds takes them (it imports both names when it is called).
    from airflow.api_fastapi.execution_api.app import create_task_execution_api_app
    assert [v.value for v in create_task_execution_api_app().versions] == [API_VERSION]
    json.dump({"full": full, "light": light}, sys.stdout, default=str)
""")


def test_the_light_app_serves_exactly_the_routes_and_schemas_the_sdk_gets_from_the_full_one():
    run = subprocess.run([sys.executable, "-c", ROUTES_OF_THE_SDK_VERSION], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    served = json.loads(run.stdout[run.stdout.index('{"full"'):])
    assert len(served["full"]) > 20, "the execution API lost its routes?"
    assert served["light"] == served["full"]

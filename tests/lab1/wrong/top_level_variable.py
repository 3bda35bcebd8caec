"""Variable.get at the top of the file: runs at every parse, and breaks the file when missing."""
MUST_FAIL = ["test_the_dag_is_ready_for_production"]
FIRST_REASON = r'Variable\\.get|top level'
EDITS = [
    (
        'NATIVE_TABLE = "weather_forecast_native"\n',
        'NATIVE_TABLE = "weather_forecast_native"\nAPI_URL = Variable.get("weather_api_url")\n',
    ),
    ('fetch_forecast(Variable.get("weather_api_url"), ', "fetch_forecast(API_URL, "),
]

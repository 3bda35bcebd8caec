"""timeout=None: a server that accepts the connection and never answers holds the monitor forever."""
FILE = "monitoring/airflow_api.py"
MUST_FAIL = ["test_every_call_has_a_timeout"]
FIRST_REASON = r'never answers was still waiting|timeout=self\.timeout'
EDITS = [
    ("            return httpx.request(method, url, timeout=self.timeout, **kwargs)\n",
     "            return httpx.request(method, url, timeout=None, **kwargs)\n"),
]

"""requests.get without a timeout: an API that never answers hangs the task forever."""
MUST_FAIL = ["test_fetch_gives_up_on_a_slow_api"]
EDITS = [
    ("response = requests.get(url, params=params, timeout=timeout)", "response = requests.get(url, params=params)"),
]

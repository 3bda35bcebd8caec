"""requests.get without a timeout: an API that never answers hangs the task forever."""
MUST_FAIL = ["test_fetch_gives_up_on_a_slow_api"]
FIRST_REASON = r'timeout'
EDITS = [
    ("response = requests.get(url, params=params, timeout=timeout)", "response = requests.get(url, params=params)"),
]

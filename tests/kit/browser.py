"""A headless Chromium for the kit's UI checks (Selenium, with the system's chromedriver).

Debian's `chromium` and `chromium-driver` packages provide both; `.ci/run` installs them.
Without them a check is skipped locally with the reason, and fails in CI
(LABKIT_CI=1, as `.ci/run` sets, or CI set): a browser check that never runs proves nothing.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "Debian/Ubuntu: apt-get install chromium chromium-driver"


def chromium_or_skip():
    """A started headless Chromium driver; skip (locally) or fail (CI) when there is none."""
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = "Chromium" if binary is None else "chromedriver"
        reason = f"no {missing} on this machine ({INSTALL_HINT})"
        if os.environ.get("LABKIT_CI") or os.environ.get("CI"):
            pytest.fail(f"the browser check must run in CI, but there is {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = binary
    # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2400"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(driver), options=options)


def dag_list_after_login(browser, url: str, user: str, password: str, *, screenshot: Path,
                         expect: set[str] = frozenset(), timeout: float = 30) -> set[str]:
    """Log into Airflow's UI like a person, open the DAG list (waiting up to `timeout` for
    the `expect`ed DAGs to show), save a screenshot; returns the DAG ids the page links to."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, timeout)
    try:
        browser.get(url + "/")
        wait.until(lambda b: b.find_elements(By.NAME, "username"))  # redirected to the login form
        browser.find_element(By.NAME, "username").send_keys(user)
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda b: "/auth/login" not in b.current_url)
        browser.get(url + "/dags")

        def dag_links(b) -> set[str]:
            hrefs = (a.get_attribute("href") or "" for a in b.find_elements(By.CSS_SELECTOR, "a[href*='/dags/']"))
            return {h.split("/dags/", 1)[1].split("/")[0] for h in hrefs if "/dags/" in h}

        try:
            wait.until(lambda b: (links := dag_links(b)) and expect <= links)
        except TimeoutException:
            pass  # the caller's assertion says which are missing
        seen = dag_links(browser)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(screenshot))
        return seen
    finally:
        browser.quit()

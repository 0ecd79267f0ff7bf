"""A real headless browser (Debian's chromium, driven by Selenium through chromedriver) on the linked-data pages.

Opens the home page of a real ``kg serve`` on the shipped data, follows a link
to a person, sees the label and the source quotation, follows the
neighbourhood picture, and saves a screenshot in ``tests/artifacts/``.
Outside CI the test skips when chromium or chromedriver is missing; in CI
(``CI`` set by ``.ci/run``, which installs them) it must run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless chromium with a fresh profile and no background traffic."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,1400",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _console_errors(driver: object) -> list[str]:
    """Severe console messages (a CSP violation, a missing stylesheet) since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]  # type: ignore[attr-defined]


def test_home_to_a_person_shows_label_and_source_quotation(browser: object, shipped_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(shipped_server.base_uri)  # type: ignore[attr-defined]
    assert "ipkg" in driver.title  # type: ignore[attr-defined]
    people = driver.find_element(By.CSS_SELECTOR, "section.kind h2#person")  # type: ignore[attr-defined]
    assert people.is_displayed()
    link = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby='person'] li a")  # type: ignore[attr-defined]
    name = link.text
    assert name
    link.click()

    assert driver.current_url.startswith(shipped_server.base_uri + "id/person/")  # type: ignore[attr-defined]
    heading = driver.find_element(By.TAG_NAME, "h1")  # type: ignore[attr-defined]
    assert heading.text == name
    assert heading.is_displayed()
    quotation = driver.find_element(By.CSS_SELECTOR, "table.facts blockquote")  # type: ignore[attr-defined]
    assert quotation.is_displayed()
    assert len(quotation.text) > 20
    quotes = [q.text for q in driver.find_elements(By.CSS_SELECTOR, "table.facts blockquote")]  # type: ignore[attr-defined]
    assert any(part in q for q in quotes for part in name.split()), f"no quotation names {name!r}: {quotes}"
    picture = driver.find_element(By.CSS_SELECTOR, "svg.neighbourhood-graph")  # type: ignore[attr-defined]
    assert picture.is_displayed() and picture.size["width"] > 300
    assert _console_errors(driver) == [], "the page loads with no console error (CSP included)"

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "person-page.png"
    driver.set_window_size(1280, min(driver.execute_script("return document.body.scrollHeight") + 40, 4000))  # type: ignore[attr-defined]
    assert driver.save_screenshot(str(screenshot))  # type: ignore[attr-defined]
    print(f"screenshot: {screenshot}")

    node = driver.find_element(By.CSS_SELECTOR, "svg.neighbourhood-graph a.nh-node")  # type: ignore[attr-defined]
    target = node.get_attribute("aria-label")
    node.click()
    assert driver.find_element(By.TAG_NAME, "h1").text == target  # type: ignore[attr-defined]


def test_ontology_page_anchors_each_term(browser: object, shipped_server: LiveServer) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(shipped_server.base_uri + "ontology#Person")  # type: ignore[attr-defined]
    term = driver.find_element(By.ID, "Person")  # type: ignore[attr-defined]
    assert term.is_displayed()
    assert "person" in term.find_element(By.TAG_NAME, "h3").text.lower()
    assert driver.execute_script("return window.scrollY") > 0, "the browser jumped to the term"  # type: ignore[attr-defined]
    assert _console_errors(driver) == []

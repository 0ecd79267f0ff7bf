"""The query page in a real browser (headless Debian Chromium through Selenium) against a real ``kg serve``.

Save a query in the page's editor, find it in the catalogue, run it from its form, download the CSV.
Skipped only outside CI when Chromium or its driver is missing; in CI (``CI`` set) it must run.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.canned_support import CANNED, TOKEN
from tests.live_server import LiveServer, live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not os.environ.get("CI"):
    pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

NAME = "members-named"
QUERY_LINES = [
    "#+ parameters:",
    "#+   text:",
    "#+     type: literal",
    "#+     default: a",
    "#+     label: Part of the name",
    "PREFIX ex: <http://example.org/canned#>",
    "SELECT ?text ?name ?organization WHERE {",
    "?person ex:memberOf ?organization ; schema:name ?name .",
    "FILTER(CONTAINS(LCASE(?name), LCASE(?text)))",
    "}",
    "ORDER BY ?name",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("browser")
    env = {"KG_QUERIES_DIR": str(directory / "saved"), "KG_WRITE_TOKEN": TOKEN}
    with live_server(directory, CANNED / "data.ttl", env=env, workers=1) as running:
        yield running


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1600", "--no-proxy-server"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


def origin(server: LiveServer) -> str:
    return server.url.removesuffix("/sparql")


def wait(browser: webdriver.Chrome, condition, seconds: float = 20):
    return WebDriverWait(browser, seconds).until(condition)


def type_into_editor(browser: webdriver.Chrome, lines: list[str]) -> None:
    """Type ``lines`` into the CodeMirror editor as a person would (select all, then type)."""
    content = wait(browser, ready.element_to_be_clickable((By.CSS_SELECTOR, ".sparql-editor .cm-content")))
    content.click()
    content.send_keys(Keys.CONTROL, "a")
    content.send_keys(Keys.DELETE)
    for line in lines:
        content.send_keys(line)
        content.send_keys(Keys.ENTER)
        # Undo the editor's automatic indentation so that header lines keep their own.
        content.send_keys(Keys.SHIFT, Keys.HOME)
        content.send_keys(Keys.DELETE)


def test_save_find_run_and_download_in_a_real_browser(server: LiveServer, browser: webdriver.Chrome,
                                                     downloads: Path) -> None:
    browser.get(origin(server) + "/query")
    assert browser.title.startswith("Query")
    assert browser.find_element(By.ID, "sparql").get_attribute("hidden") is not None  # the editor replaced it
    highlighted = browser.find_elements(By.CSS_SELECTOR, ".sparql-editor .cm-line span")
    assert highlighted, "the editor highlights SPARQL"

    type_into_editor(browser, QUERY_LINES)
    typed = browser.find_element(By.ID, "sparql").get_attribute("value")
    assert [line.strip() for line in typed.strip().splitlines()] == [line.strip() for line in QUERY_LINES]
    assert typed.splitlines()[:5] == QUERY_LINES[:5]

    browser.find_element(By.ID, "run-sparql").click()
    wait(browser, ready.presence_of_element_located((By.ID, "results-table")))
    assert "Ana Lima" in browser.find_element(By.ID, "results-table").text

    browser.find_element(By.CSS_SELECTOR, "details#save summary").click()
    browser.find_element(By.ID, "save-name").send_keys(NAME)
    browser.find_element(By.ID, "save-title").send_keys("Members by part of their name")
    browser.find_element(By.ID, "save-tags").send_keys("people, browser")
    browser.find_element(By.ID, "save-token").send_keys(TOKEN)
    browser.find_element(By.ID, "save-query").click()
    notice = wait(browser, ready.presence_of_element_located((By.CSS_SELECTOR, "p.notice")))
    assert "Members by part of their name" in notice.text and NAME in notice.text

    browser.get(origin(server) + "/query?tag=browser")
    entry = browser.find_element(By.CSS_SELECTOR, f'li[data-query="{NAME}"] a')
    assert entry.text == "Members by part of their name"
    entry.click()
    field = wait(browser, ready.presence_of_element_located((By.ID, "field-text")))
    assert field.get_attribute("value") == "a"
    field.clear()
    field.send_keys("chen")
    Select(browser.find_element(By.ID, "canned-reasoning")).select_by_value("none")
    browser.find_element(By.ID, "run-canned").click()
    table = wait(browser, ready.presence_of_element_located((By.ID, "results-table")))
    rows = [row.text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 1 and "Bo Chen" in rows[0]

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "query-page.png"))

    browser.find_element(By.CSS_SELECTOR, 'a[data-format="csv"]').click()
    target = downloads / f"{NAME}.csv"
    deadline = time.monotonic() + 20
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), f"no download; the folder holds {sorted(p.name for p in downloads.iterdir())}"
    table = list(csv.reader(target.open(encoding="utf-8")))
    assert table == [["text", "name", "organization"], ["chen", "Bo Chen", "http://example.org/canned#acme"]]

"""The site in a real browser: Debian's Chromium driven through chromedriver (selenium).

Every page is opened from ``file://``: no console error, every relative link and resource
resolves to a file of the site, nothing is requested from anywhere else (the attributes and
the browser's own resource timing entries), and axe-core, run in the same page, finds no
serious or critical accessibility violation. The content a user comes for is there (every
model, the production version, the approvers), crafted values are inert text, and the sort
control sorts. A screenshot of the index and of a model page is kept in test-artifacts/.

Without ``chromium`` and ``chromedriver`` on PATH (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them) this module is skipped with that reason.
axe-core comes from npm through ``tools/fetch-axe-core.sh`` (``make specs``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.site.conftest import CRAFTED_DESCRIPTION, CRAFTED_MODEL, SiteRegistry
from tests.support.artifacts import artifact_path
from tests.support.cli import gfops
from tests.support.repo import ROOT

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
FETCH_AXE = ROOT / "tools" / "fetch-axe-core.sh"
AXE = ROOT / ".cache" / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
# Without the background-networking flags Chromium phones home at start, which a closed
# network refuses (and which would be requests the site did not make).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
# Hang guards: a page loads in < 0.5 s and axe checks one in < 3 s on a busy machine.
PAGE_LOAD_TIMEOUT = 60
SCRIPT_TIMEOUT = 120
BLOCKING_IMPACTS = {"serious", "critical"}
# A 1x1 transparent PNG, served from loopback to show a network request is seen.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000100e5270de40000000049454e44ae426082"
)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="browser test needs Debian's chromium and chromium-driver "
    "(apt-get install -y --no-install-recommends chromium chromium-driver; .ci/run does this)",
)

RESOURCES_JS = """
return Array.from(document.querySelectorAll('[src],[href]')).map(function (e) {
  var raw = e.getAttribute('src') !== null ? e.getAttribute('src') : e.getAttribute('href');
  return new URL(raw, document.baseURI).href;
});
"""
TIMING_JS = "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
STYLED_JS = "return getComputedStyle(document.querySelector('header.site')).backgroundColor;"
SORTABLE_JS = """
var heads = document.querySelectorAll('table.sortable thead th');
return document.querySelectorAll('table.sortable thead th > button').length === heads.length;
"""
# preload: false: axe would fetch the stylesheet itself, which the pages' CSP rightly refuses.
AXE_JS = """
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations'], preload: false}).then(function (result) {
  done(result.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length};
  }));
}).catch(function (error) { done({error: String(error)}); });
"""


def _axe_source() -> str:
    if not AXE.is_file():
        result = subprocess.run(
            ["bash", str(FETCH_AXE)],
            capture_output=True,
            text=True,
            timeout=300,  # hang guard: a fresh fetch took 2 s
            check=False,
        )
        if result.returncode != 0 or not AXE.is_file():
            pytest.fail(
                f"axe-core unavailable: {FETCH_AXE.relative_to(ROOT)} failed (needs npm and "
                f"the npm registry): {(result.stderr or result.stdout).strip()}",
                pytrace=False,
            )
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return _axe_source()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="gfops-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver: selenium never looks one up (or downloads one) by itself.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
    driver.set_script_timeout(SCRIPT_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(site_registry: SiteRegistry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    result = gfops("site", "--out", str(out), cwd=site_registry.repo.path)
    assert result.code == 0, result.err
    return out


def _open(browser: WebDriver, path: Path) -> list[dict[str, Any]]:
    """Open a page; the console entries it logged."""
    browser.get(path.as_uri())
    logs: list[dict[str, Any]] = browser.get_log("browser")
    return logs


def _severe(logs: list[dict[str, Any]]) -> list[str]:
    return [str(entry["message"]) for entry in logs if entry["level"] == "SEVERE"]


def _outside(site: Path, page: Path, urls: list[str]) -> list[str]:
    """URLs that are not an existing file of the site (fragments: an element of the page)."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc:
            bad.append(url)
            continue
        target = Path(unquote(parts.path))
        if not target.is_file() or not target.resolve().is_relative_to(site.resolve()):
            bad.append(url)
        elif parts.fragment and target == page:
            continue  # checked below through the DOM
    return bad


def _screenshot(browser: WebDriver, name: str) -> Path:
    """The whole page (the window grown to its height), kept under test-artifacts/site/."""
    path = artifact_path("site", name)
    size = browser.get_window_size()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], min(int(height), 8000))
    try:
        browser.save_screenshot(str(path))
    finally:
        browser.set_window_size(size["width"], size["height"])
    print(f"screenshot: {path}")
    return path


def _axe(browser: WebDriver, source: str) -> list[dict[str, Any]]:
    browser.execute_script(source)
    found = browser.execute_async_script(AXE_JS)
    assert isinstance(found, list), found
    return found


# ---------------------------------------------------------------- every page


def test_every_page_loads_cleanly_locally_and_accessibly(
    browser: WebDriver, site: Path, axe_source: str
) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 8
    report: dict[str, list[str]] = {}
    for page in pages:
        name = page.relative_to(site).as_posix()
        logs = _open(browser, page)
        assert _severe(logs) == [], f"{name}: console errors"
        urls = browser.execute_script(RESOURCES_JS)
        assert _outside(site, page, urls) == [], f"{name}: links outside the site"
        fragments = [urlsplit(u).fragment for u in urls if urlsplit(u).fragment]
        for fragment in fragments:
            assert browser.find_elements(By.ID, fragment), f"{name}: no #{fragment}"
        # Chromium times network requests only: from file:// any entry is one too many.
        assert browser.execute_script(TIMING_JS) == [], f"{name}: network requests"
        assert browser.execute_script(STYLED_JS) == "rgb(27, 31, 36)", f"{name}: no stylesheet"
        assert browser.execute_script(SORTABLE_JS) is True, f"{name}: sort script did not run"
        violations = _axe(browser, axe_source)
        report[name] = [f"{v['id']} ({v['impact']}, {v['nodes']} nodes)" for v in violations]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert blocking == [], f"{name}: axe: {blocking}"
        assert _severe(browser.get_log("browser")) == [], f"{name}: errors while checked"
    print("axe violations by page (none serious or critical):", report)


def test_the_checks_see_what_they_look_for(
    browser: WebDriver, site: Path, axe_source: str, tmp_path: Path
) -> None:
    """Positive controls: a console error, a network request, an inaccessible page."""
    (tmp_path / "x.png").write_bytes(PNG)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        image = f"http://127.0.0.1:{server.server_address[1]}/x.png"
        bad = tmp_path / "bad.html"
        bad.write_text(
            "<!DOCTYPE html><html><head><title>bad</title></head><body>"
            f'<img src="{image}">'
            '<p style="color:#bbb;background:#fff">faint text</p>'
            "<script>console.error('boom')</script></body></html>",
            encoding="utf-8",
        )
        logs = _open(browser, bad)
        assert any("boom" in m for m in _severe(logs))
        assert _outside(site, bad, browser.execute_script(RESOURCES_JS)) == [image]
        assert browser.execute_script(TIMING_JS) == [image]
        impacts = {v["id"]: v["impact"] for v in _axe(browser, axe_source)}
        assert impacts.get("image-alt") == "critical"
        assert impacts.get("color-contrast") == "serious"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- content


def test_the_index_and_a_model_page_show_what_a_user_comes_for(
    browser: WebDriver, site: Path
) -> None:
    _open(browser, site / "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    names = [r.find_element(By.CSS_SELECTOR, "td").text for r in rows]
    assert names == ["price-direction", "spread-model", CRAFTED_MODEL]
    production = {
        r.find_element(By.CSS_SELECTOR, "td").text: r.find_elements(By.CSS_SELECTOR, "td")[1].text
        for r in rows
    }
    assert production["price-direction"] == "1.0.0"
    _screenshot(browser, "index.png")
    browser.find_element(By.LINK_TEXT, "price-direction").click()
    assert browser.current_url.endswith("/models/price-direction.html")
    history = browser.find_element(By.XPATH, "//h2[.='Stage history']/following::table[1]").text
    assert "staging → production" in history and "dave, erin" in history and "#5" in history
    _screenshot(browser, "model-price-direction.png")


def test_crafted_values_are_inert_text(browser: WebDriver, site: Path) -> None:
    _open(browser, site / "models" / f"{CRAFTED_MODEL}.html")
    lead = browser.find_element(By.CSS_SELECTOR, "main p.lead")
    assert lead.text == CRAFTED_DESCRIPTION
    handlers = browser.execute_script(
        "return document.querySelectorAll('[onerror],[onmouseover],main script,main img').length"
    )
    assert handlers == 0
    for cell in browser.find_elements(By.CSS_SELECTOR, "td code[title]"):
        browser.execute_script(
            "arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))", cell
        )
    assert browser.execute_script("return typeof window.pwned") == "undefined"


def test_a_heading_sorts_its_table(browser: WebDriver, site: Path) -> None:
    _open(browser, site / "index.html")

    def order() -> list[str]:
        cells = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr td:first-child")
        return [c.text for c in cells]

    assert order() == ["price-direction", "spread-model", CRAFTED_MODEL]  # as built: by name
    versions = browser.find_element(By.XPATH, "//th/button[.='versions']")
    versions.click()  # ascending: the crafted model has 1 version, the others 2 (ties keep order)
    assert order() == [CRAFTED_MODEL, "price-direction", "spread-model"]
    header = browser.find_element(By.XPATH, "//th[button[.='versions']]")
    assert header.get_attribute("aria-sort") == "ascending"
    versions.click()
    assert order() == ["price-direction", "spread-model", CRAFTED_MODEL]
    assert header.get_attribute("aria-sort") == "descending"
    model = browser.find_element(By.XPATH, "//th/button[.='model']")
    model.click()
    model.click()
    assert order() == [CRAFTED_MODEL, "spread-model", "price-direction"]  # z..a
    assert header.get_attribute("aria-sort") is None  # one sorted column at a time

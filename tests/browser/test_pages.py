"""The pages customers see, in a real browser (headless Chromium through selenium) at a phone's and a laptop's
size: the consent page and the simulator's Web Client page. axe-core (the npm package, injected into the page)
must find no serious or critical violation; text is at least 16 px, touch targets at least 44 px, nothing
scrolls sideways. Screenshots are written to tests/artifacts/ (docs/privacy.md's consent picture is the phone one).

Needs Debian's chromium and chromium-driver and `npm install axe-core`; `.ci/run` installs them. Outside CI the test
is skipped, saying why, when they are missing; in CI (CI=true) their absence fails it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.local import consent_href
from tests.world import World

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("IDV_ARTIFACTS", ROOT / "tests" / "artifacts"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = ((390, 844), (1280, 800))


def _missing() -> str | None:
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return "Debian's chromium and chromium-driver are not installed"
    if not AXE.exists():
        return "axe-core is not installed (npm install axe-core)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or ""
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


_LAYOUT = """
const small = [], tiny = [];
for (const el of document.querySelectorAll('p, li, label, span, a, button, select, option, h1')) {
  if (!el.offsetParent && el.tagName !== 'OPTION') continue;
  const size = parseFloat(getComputedStyle(el).fontSize);
  if (el.tagName !== 'OPTION' && el.textContent.trim() && size < 16) small.push(el.tagName + ' ' + size);
}
const targets = 'button, select, input[type=checkbox], input[type=file], a.button, label.consent';
for (const el of document.querySelectorAll(targets)) {
  const box = el.getBoundingClientRect();
  const target = el.type === 'checkbox' ? el.closest('label').getBoundingClientRect() : box;
  if (target.height < 44 || target.width < 44) {
    tiny.push(el.tagName + ' ' + Math.round(target.width) + 'x' + Math.round(target.height));
  }
}
return {small: small, tiny: tiny, sideways: document.scrollingElement.scrollWidth > window.innerWidth + 1,
        lang: document.documentElement.lang, viewport: !!document.querySelector('meta[name=viewport]')};
"""


def _shows(browser: Any, words: str) -> None:
    """Wait (up to 10 s) until the page that a click led to shows `words`."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda driver: words in driver.page_source)


def _viewport(browser: Any, width: int, height: int) -> None:
    """The page's own viewport at exactly this size (a phone is a mobile viewport)."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _check(browser: Any, name: str, width: int, height: int) -> None:
    """Screenshot, then layout and axe-core: no serious or critical violation."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _viewport(browser, width, height)
    browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}x{height}.png"))
    if width < 600:  # the whole page on a phone: the picture Jumio asks for before go-live (reference §5a)
        full = browser.execute_script("return document.scrollingElement.scrollHeight")
        _viewport(browser, width, max(height, full))
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}-full.png"))
        _viewport(browser, width, height)
    layout = browser.execute_script(_LAYOUT)
    assert layout["lang"] and layout["viewport"], layout
    assert not layout["small"] and not layout["tiny"] and not layout["sideways"], (name, width, layout)
    browser.execute_script(AXE.read_text())
    browser.set_script_timeout(30)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))));"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, (name, width, serious)


async def test_the_consent_page_in_a_browser(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    await world.start("CUST-BROWSER", consent=False)
    href = consent_href(world.links("CUST-BROWSER")[0].all_text())
    assert href is not None

    def play() -> None:
        for width, height in SIZES:
            browser.get(href)
            _check(browser, "consent", width, height)
        # The box unticked: the browser itself refuses; past it (required removed), the page says what to fix.
        browser.execute_script(
            "document.querySelector('input[name=consent]').removeAttribute('required');"
            "document.querySelector('select[name=country]').removeAttribute('required');"
        )
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _shows(browser, "Tick the box")
        _check(browser, "consent-error", *SIZES[0])
        box = browser.find_element(By.NAME, "consent")
        assert not box.is_selected()
        browser.find_element(By.CSS_SELECTOR, "label.consent").click()  # the whole label is the target
        assert box.is_selected()
        Select(browser.find_element(By.NAME, "country")).select_by_value("USA")
        Select(browser.find_element(By.NAME, "state")).select_by_value("IL")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _shows(browser, "Your consent was recorded")
        _check(browser, "consent-done", *SIZES[0])

    await asyncio.to_thread(play)
    consent = world.store.consents.for_execution(world.execution("CUST-BROWSER").replaces or 0)
    assert consent is not None and (consent.country, consent.state) == ("USA", "IL")


async def test_the_simulators_web_client_page_in_a_browser(world: World, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    await world.start("CUST-BROWSER-WEB", consent=False)
    href = world.web_href("CUST-BROWSER-WEB")

    def play() -> None:
        for width, height in SIZES:
            browser.get(href)
            _check(browser, "web-client", width, height)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]:not([name])").click()  # nothing chosen
        _shows(browser, "at least the ID front and a selfie")
        _check(browser, "web-client-error", *SIZES[0])
        browser.find_element(By.CSS_SELECTOR, "a.button").click()  # back to the form, not a dead end
        _shows(browser, 'name="sample"')
        browser.find_element(By.CSS_SELECTOR, "button[name=sample]").click()
        _shows(browser, "Your photos were submitted")
        browser.get(href)  # reopened after submitting
        assert "already submitted your photos" in browser.page_source and "9200" not in browser.page_source
        _check(browser, "web-client-again", *SIZES[0])
        browser.get(href.replace("locale=", "x=") + "&locale=de")
        assert 'lang="de"' in browser.page_source and "Sie haben Ihre Fotos bereits gesendet" in browser.page_source

    await asyncio.to_thread(play)
    assert (await world.decided("CUST-BROWSER-WEB")).decision_type == "PASSED"

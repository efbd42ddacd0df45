"""The published page in a real browser: headless Chromium driven by selenium (`nox -s browser`).

Skipped where selenium or Debian's chromium and chromium-driver are missing; `.ci/run` installs
them and runs this file through `nox -s browser`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import timeline
from tests.test_publish import HOSTILE, corrected_seed
from timeline import Source, support
from timeline.support.notebook import actors

REQUIRED = bool(os.environ.get("TIMELINE_REQUIRE_BROWSER"))  # nox -s browser: fail, not skip
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if REQUIRED:
    from selenium import webdriver

    assert Path(CHROMIUM).exists(), "install Debian's chromium"
    assert Path(CHROMEDRIVER).exists(), "install Debian's chromium-driver"
else:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def by_actor(ev: timeline.Event) -> str:
    return actors(ev).split(", ")[0] or ev.event_type


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1400, 1000)
    yield driver
    driver.quit()


def open_page(driver: Any, path: Path) -> float:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.as_uri())
    seconds: float = driver.execute_script(
        "return (performance.timing.loadEventEnd - performance.timing.navigationStart) / 1000"
    )
    return seconds


def requests(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def set_known(driver: Any, label_prefix: str) -> None:
    driver.execute_script(
        """
        const data = JSON.parse(document.getElementById("timeline-data").textContent);
        const slider = document.getElementById("known");
        let index = 0;
        data.knowledge.forEach((k, i) => { if (k <= arguments[0]) index = i; });
        slider.value = String(index);
        slider.dispatchEvent(new Event("input"));
        """,
        label_prefix,
    )


def button(driver: Any, event_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'button.ev[data-id="{event_id}"]')


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    text: str = driver.find_element(By.ID, element_id).text
    return text


def test_the_seed_page_replays_knowledge(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "seed.html"
    support.load_seed().to_html(path, title="Support for Ukraine", group=by_actor)
    size = path.stat().st_size
    seconds = open_page(browser, path)
    assert size < 200_000, size
    assert seconds < 1.0, seconds
    assert browser.get_log("browser") == []  # no console message of any kind
    assert requests(browser) == [path.as_uri()]  # the page itself, nothing else
    set_known(browser, "2025-03-07T23:59")
    assert text_of(browser, "known-label").startswith("2025-03-06")
    assert not button(browser, "us-resumes-military-aid").is_displayed()
    assert button(browser, "us-pauses-military-aid").is_displayed()
    set_known(browser, "9999")
    assert button(browser, "us-resumes-military-aid").is_displayed()
    print(f"seed page: {size:,} bytes, loaded in {seconds * 1000:.0f} ms")


def test_the_state_panel_is_the_projections(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import Select

    path = tmp_path / "seed.html"
    support.load_seed().to_html(path, group=by_actor)
    open_page(browser, path)
    set_known(browser, "9999")
    Select(browser.find_element("id", "date")).select_by_visible_text("2025-03-04")
    panel = text_of(browser, "state")
    assert "State at 2025-03-04" in panel
    assert "US military paused" in panel
    Select(browser.find_element("id", "date")).select_by_visible_text("2025-04-14")
    assert "US military active" in text_of(browser, "state")


def test_a_correction_shows_old_and_new_and_a_retraction_is_struck(
    browser: Any, tmp_path: Path
) -> None:
    path = tmp_path / "corrected.html"
    corrected_seed().to_html(path, group=by_actor)
    open_page(browser, path)
    set_known(browser, "9999")
    button(browser, "uk-anduril-drones").click()
    detail = text_of(browser, "detail")
    assert "was:" in detail
    assert "~GBP 30,000,000" in detail
    assert "now:" in detail
    assert "GBP 31,000,000" in detail
    assert "correction" in detail
    retracted = button(browser, "lavrov-opposes-nato-troops")
    assert "retracted" in (retracted.get_attribute("class") or "")
    assert retracted.value_of_css_property("text-decoration-line") == "line-through"
    set_known(browser, "2025-04-30")  # before the correction was recorded
    button(browser, "uk-anduril-drones").click()
    assert "was:" not in text_of(browser, "detail")
    assert browser.get_log("browser") == []


def test_hostile_text_is_shown_never_run(browser: Any, tmp_path: Path) -> None:
    @timeline.event("test.browser.said", version=1)
    class Said(timeline.Event):
        text: str

    tl = timeline.open()
    tl.append(
        Said(
            id="hostile",
            occurred="2025-03-03",
            text=HOSTILE,
            source=Source(quote=HOSTILE, publisher=HOSTILE),
        )
    )
    path = tmp_path / "hostile.html"
    tl.to_html(path, title=HOSTILE)
    open_page(browser, path)
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.images.length") == 0
    assert browser.execute_script("return document.scripts.length") == 2
    button(browser, "hostile").click()
    assert "</script><script>window.__pwned = 1</script>" in text_of(browser, "detail")
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.get_log("browser") == []
    assert requests(browser) == [path.as_uri()]


def test_the_page_is_keyboard_operable(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    path = tmp_path / "seed.html"
    support.load_seed().to_html(path, group=by_actor)
    open_page(browser, path)
    slider = browser.find_element("id", "known")
    slider.click()
    slider.send_keys(Keys.HOME)
    assert text_of(browser, "known-label").startswith("2025-03-06")
    slider.send_keys(Keys.END)
    assert text_of(browser, "known-label").startswith("2025-04-14")
    target = button(browser, "uk-era-loan-agreed")
    browser.execute_script("arguments[0].focus()", target)
    target.send_keys(Keys.ENTER)
    assert "uk-era-loan-agreed" in text_of(browser, "detail")


def test_kiel_release_28_page_size_and_load_time(browser: Any, tmp_path: Path) -> None:
    """Thousands of events: the page stays usable; its size and load time are printed."""
    from timeline.sources.kiel import KielProjection, import_release

    data = Path(__file__).resolve().parent / "data" / "kiel_ust_r28_bilateral_activities.csv"
    tl = timeline.open()
    import_release(tl, data, release="R28", recorded_at="2026-03-01")
    started = time.perf_counter()
    path = tmp_path / "kiel.html"
    tl.to_html(path, title="Kiel R28", projection=KielProjection())
    built = time.perf_counter() - started
    seconds = open_page(browser, path)
    size = path.stat().st_size
    assert browser.get_log("browser") == []
    assert seconds < 10, seconds
    print(
        f"Kiel R28 page: {tl.head:,} records, {size / 1e6:.1f} MB, built in {built:.1f} s, "
        f"loaded in {seconds * 1000:.0f} ms"
    )
    if os.environ.get("TIMELINE_FIGURES"):
        Path(os.environ["TIMELINE_FIGURES"]).write_text(
            f"kiel_bytes={size} kiel_load_ms={seconds * 1000:.0f}\n", encoding="utf-8"
        )


def test_records_and_was_now_follow_the_slider(browser: Any, tmp_path: Path) -> None:
    from tests.test_publish import X

    tl = timeline.open()
    tl.append(X(id="abcb", occurred="2025-01-10", what="A"), recorded_at="2025-02-01")
    for n, what in enumerate("BCB", 2):
        fix = timeline.Correction(target="abcb", replacement=X(occurred="2025-01-10", what=what))
        tl.append(fix, recorded_at=f"2025-02-0{n}")
    path = tmp_path / "abcb.html"
    tl.to_html(path)
    open_page(browser, path)
    set_known(browser, "2025-02-01T23")
    button(browser, "abcb").click()
    detail = text_of(browser, "detail")
    assert "was:" not in detail
    assert detail.count(" recorded at ") + detail.count(" correction at ") == 1
    assert "corrected" not in (button(browser, "abcb").get_attribute("class") or "")
    set_known(browser, "9999")
    detail = text_of(browser, "detail")
    assert "was: 2025-01-10 · what=C" in detail
    assert "now: 2025-01-10 · what=B" in detail
    assert detail.count(" correction at ") == 3
    assert "corrected" in (button(browser, "abcb").get_attribute("class") or "")
    assert browser.get_log("browser") == []


def test_the_state_date_follows_a_click_not_the_slider(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import Select

    from tests.test_publish import X

    tl = timeline.open()
    for n, day in enumerate(["2025-01-10", "2025-02-10", "2025-03-10", "2025-03-20"]):
        tl.append(X(id=f"m{n}", occurred=day), recorded_at=f"2025-04-0{n + 1}")
    path = tmp_path / "months.html"
    tl.to_html(path, max_state_dates=3)  # month ends: 01-31, 02-28, 03-31
    open_page(browser, path)
    set_known(browser, "9999")
    button(browser, "m2").click()  # 10 March: its state is at 31 March, where it counts
    picker = Select(browser.find_element("id", "date"))
    assert picker.first_selected_option.text == "2025-03-31"
    assert "m2" in text_of(browser, "state")
    picker.select_by_visible_text("2025-01-31")
    set_known(browser, "2025-04-02T23")
    set_known(browser, "9999")
    assert picker.first_selected_option.text == "2025-01-31"

"""Draw docs/timeline.png: the seed's published page in headless Chromium (`nox -s screenshot`).

Needs selenium and Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from timeline import support
from timeline.support.notebook import actors

OUT = Path(__file__).resolve().parent / "timeline.png"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
)


def main() -> None:
    """Publish the seed, open it at the knowledge of 7 March 2025 with the pause selected."""
    folder = Path(tempfile.mkdtemp())
    page = folder / "seed.html"
    support.load_seed().to_html(
        page,
        title="Support for Ukraine, March 2025",
        group=lambda ev: actors(ev).split(", ")[0] or ev.event_type,
    )
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_window_size(1400, 820)
        driver.get(page.as_uri())
        driver.execute_script(
            'const s = document.getElementById("known"); s.value = "0";'
            's.dispatchEvent(new Event("input"));'
            "document.querySelector('button.ev[data-id=\"us-pauses-military-aid\"]').click();"
        )
        driver.save_screenshot(str(OUT))
    finally:
        driver.quit()
    sys.stdout.write(f"wrote {OUT}\n")


if __name__ == "__main__":
    main()

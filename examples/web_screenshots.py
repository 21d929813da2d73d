#!/usr/bin/env python3
"""web_screenshots.py: the screenshots of docs/web-console.md, taken with
headless Chromium against a running demo (examples/demo-day.sh).

    examples/web_screenshots.py URL ACCOUNT PASSWORD OUT_DIR

Signs in as ACCOUNT (the demo prints its logins; the district's duty
supervisor shows the whole district) and saves, at 1920x1080 (a wall screen):
  web-map.png       the console: the district's map with the open incidents,
                    the board beside it
  web-board.png     the same at 1366x768 (a desk)
  web-incident.png  the most urgent incident: details, limits, timeline, commands
  web-stats.png     the statistics tab
The demo's certificate is self-signed: Chromium is told to accept it.
Look at each picture before committing it.
"""
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

WALL = (1920, 1080)
DESK = (1366, 768)
WAIT_S = 30


def wait_js(driver, script, what):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if driver.execute_script(script):
            return
        time.sleep(0.1)
    # What the page showed instead, for whoever runs this.
    path = os.path.join(tempfile.gettempdir(), "web_screenshots-failed.png")
    driver.save_screenshot(path)
    for entry in driver.get_log("browser"):
        print("web_screenshots: console: %s" % entry.get("message"), file=sys.stderr)
    sys.exit("web_screenshots: %s did not appear in %d s (the page as it was: %s)"
             % (what, WAIT_S, path))


def resize(driver, size):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": size[0], "height": size[1], "deviceScaleFactor": 1,
                            "mobile": False})


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    url, account, password, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    o = Options()
    o.binary_location = os.environ.get("FQ_CHROMIUM", "/usr/bin/chromium")
    profile = tempfile.mkdtemp(prefix="fq-shots-")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--ignore-certificate-errors", "--lang=zh-CN", "--hide-scrollbars",
              "--window-size=%d,%d" % WALL, "--user-data-dir=" + profile):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(os.environ.get("FQ_CHROMEDRIVER", "/usr/bin/chromedriver")),
                         options=o)
    try:
        resize(d, WALL)
        d.get(url)
        wait_js(d, "return !!document.querySelector('form.signin input[name=account]')",
                "the sign-in form")
        d.find_element("css selector", "form.signin input[name=account]").send_keys(account)
        d.find_element("css selector", "form.signin input[name=password]").send_keys(password)
        d.find_element("css selector", "form.signin button[type=submit]").click()
        wait_js(d, "return document.querySelectorAll('table.board tbody tr').length > 0",
                "the board")
        wait_js(d, "return document.querySelectorAll('.leaflet-marker-icon').length > 0",
                "the map's markers")
        time.sleep(2)  # the map's tiles of shapes and the clusters settle
        d.save_screenshot(os.path.join(out, "web-map.png"))
        resize(d, DESK)
        time.sleep(1.5)
        d.save_screenshot(os.path.join(out, "web-board.png"))
        resize(d, WALL)
        time.sleep(1)
        d.execute_script("document.querySelector('table.board tbody tr.sev-row').click()")
        wait_js(d, "const p = document.querySelector('aside.incident-panel');"
                   " return p && !p.hidden && p.innerText.length > 0", "the incident panel")
        time.sleep(1.5)
        d.save_screenshot(os.path.join(out, "web-incident.png"))
        d.execute_script(
            "const c = document.querySelector('aside.incident-panel button.close'); if (c) c.click();")
        d.find_elements("css selector", "nav.tabs button[role=tab]")[1].click()
        wait_js(d, "return document.querySelectorAll('table.stats tbody tr').length > 0",
                "the statistics")
        time.sleep(1.5)
        d.save_screenshot(os.path.join(out, "web-stats.png"))
    finally:
        d.quit()
    print("web_screenshots: saved web-map, web-board, web-incident, web-stats in %s" % out)


if __name__ == "__main__":
    main()

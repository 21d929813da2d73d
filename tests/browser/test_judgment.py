"""browser_judgment: the 研判 view of the web console on real data
(docs/judgment.md), in headless Chromium against a real fengqiaod and
PostgreSQL.

New York City's 311 requests of 2018-10-21 and Shenzhen Pingshan's 2018
citizen appeals are loaded through fq-report (tests/integration/
judgment_data.py makes the district and the reports). A district operator
opens the 研判 tab and asks for the findings as of 2018-10-23: the page's
hotspots, trends, repeat sources and long-pending lists have the rows the
API gives for the same moment; the map draws one circle per hotspot and a
ring per repeat address; a hotspot's row takes the map to it. Then the view
is set to now and five reports at one corner are sent: the server pushes the
new hotspot, the alert banner announces it in Chinese and the view shows it,
its address (a script) as text. The English switch names the view. No console
errors; screenshots at 1920x1080 and 1366x768.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import DESK, PHONE, WALL, Api, Browser, Failure, check, log  # noqa: E402

PASSWORD = "研判-judgment-2026!"
HOSTILE = '<img src=x onerror="window.__xss=1">'
DATA = os.environ.get("FQ_SHARED_DATA") or os.path.join(webtest.env("FQ_SRC_DIR"), "..", "shared", "data")


def send(world, server, path):
    with open(path, "rb") as f:
        r = subprocess.run([world.report_bin, "--node", "realdata-platform", "--key-file",
                            world.key_of("realdata-platform"), "--url", server.intake, "--stdin",
                            "--window", "64"], stdin=f, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise Failure(f"fq-report --stdin failed ({r.returncode}): {r.stderr.strip()[-300:]}")
    statuses = [json.loads(line).get("status") for line in r.stdout.splitlines() if line.strip()]
    return sum(1 for s in statuses if s == "ok")


def rows(b, part):
    return b.js(f"return document.querySelectorAll('.judgment-{part} table.judgment tbody tr').length")


# The as_of_ms of the page's last read of the hotspots (its own request).
AS_OF_JS = """
const r = performance.getEntriesByType('resource').map(e => e.name)
    .filter(n => n.includes('/api/v1/judgment/hotspots')).pop() || '';
const m = /as_of_ms=(\\d+)/.exec(r);
return m ? Number(m[1]) : null;
"""


def main(world):
    if not os.path.exists(os.path.join(DATA, "nyc311_2018-10-21_6765_replay.csv")):
        log(f"SKIP: the real data is not in {DATA}")
        sys.exit(77)
    out = os.path.join(world.work, "data")
    n_nyc, n_ps = map(int, subprocess.run(
        [sys.executable, os.path.join(world.src, "tests/integration/judgment_data.py"), DATA,
         os.path.join(world.src, "examples/westlake-topology.json"), out],
        check=True, capture_output=True, text=True).stdout.split())
    world.admin("server-key", "create", world.server_key)
    world.admin("migrate")
    world.admin("import-topology", os.path.join(out, "topology.json"), "--note", "browser_judgment")
    world.add_node("realdata-platform", "--role", "district_platform", "--jurisdiction", "realdata")
    world.add_user("zhou.op", "operator", "realdata", PASSWORD, "周研判")
    # The console's roster counts each worker's open incidents with a scan of
    # the incidents (no index by worker), all of them for every page: with
    # 700 workers and 16,600 open incidents a page takes 0.4 s on an idle
    # machine, and the pages a live item makes the page read again can pass
    # the default 5 s statement_timeout and --hold-ms wait of the reads on a
    # busy one under ASan. Ceilings, not measurements.
    server = world.start_server(extra=["--judgment-interval", "1", "--read-timeout-ms", "30000",
                                       "--hold-ms", "30000"])
    check(send(world, server, os.path.join(out, "nyc.jsonl")) == n_nyc, "every NYC request stored")
    check(send(world, server, os.path.join(out, "pingshan.jsonl")) == n_ps, "every Pingshan case stored")
    # Two NYC cases pending for 10 days, for the worklist.
    world.q("UPDATE incidents SET recorded_at = now() - interval '10 days' WHERE id IN "
            "(SELECT id FROM incidents WHERE external_ref LIKE 'NYC311-%' ORDER BY id LIMIT 2)")
    api = Api(server)
    api.login("zhou.op", PASSWORD)

    b = Browser(world, size=WALL)
    b.sign_in(server.base_url + "/", "zhou.op", PASSWORD,
              "return !!document.querySelector('.console table.board')", "the console after signing in")
    # The board's count while the server has further pages (keyset paging):
    # what is listed so far, and that there is more; 更多 adds the next page.
    count_js = "return document.querySelector('.board-view .caption').textContent"
    rows_js = "return document.querySelectorAll('table.board tbody tr.sev-row').length"
    b.wait(lambda b: b.js(count_js) == "在办：已列出 100 件，还有更多" and b.js(rows_js) == 100,
           f"the first page's count (the page says '{b.js(count_js)}')")
    b.driver.find_element("css selector", ".board-view button.more").click()
    b.wait(lambda b: b.js(count_js) == "在办：已列出 200 件，还有更多" and b.js(rows_js) == 200,
           f"the count after 更多 (the page says '{b.js(count_js)}')")
    tabs = {t.text: t for t in b.driver.find_elements("css selector", "nav.tabs button[role=tab]")}
    check("研判" in tabs, f"a tab 研判 among {list(tabs)}")
    tabs["研判"].click()
    b.wait_js("return !!document.querySelector('.judgment-view .judgment-method') &&"
              " document.querySelector('.judgment-view .judgment-method').textContent.length > 0",
              "the 研判 view at now")
    # The findings of 2018-10-23 (the NYC day is inside every window).
    b.js("const i = document.querySelector('.judgment-view input.as-of');"
         "i.value = '2018-10-23T00:00'; i.dispatchEvent(new Event('change'));")
    b.driver.find_element("css selector", ".judgment-view form.filters button[type=submit]").click()
    b.wait_js("return document.querySelectorAll('.judgment-hotspots table.judgment tbody tr').length > 0",
              "hotspots on the page")
    as_of = b.js(AS_OF_JS)
    check(as_of is not None, "the page asked for a moment")
    want = {}
    for part, key in (("hotspots", "hotspots"), ("trends", "trends"), ("repeats", "repeats")):
        status, _, doc = api.request("GET", f"/api/v1/judgment/{part}?as_of_ms={as_of}")
        check(status == 200, f"the API's {part}")
        want[part] = doc[key]
    status, _, doc = api.request("GET", f"/api/v1/judgment/long-pending?as_of_ms={as_of}")
    want["long-pending"] = doc["cases"]
    for part in ("hotspots", "trends", "repeats", "long-pending"):
        check(rows(b, part) == len(want[part]),
              f"{part}: {rows(b, part)} rows on the page, {len(want[part])} from the API")
    check(len(want["hotspots"]) > 50 and len(want["repeats"]) > 50, "real findings to show")
    check(len(want["long-pending"]) == 0, "nothing received by 2018 is pending (all came in now)")
    first = b.js("return Array.from(document.querySelectorAll('.judgment-hotspots tbody tr')[0].cells)"
                 ".map(c => c.textContent)")
    h0 = want["hotspots"][0]
    check(first[0] == h0["category_name"] and first[2] == str(h0["count"]),
          f"the first hotspot row {first[:3]} is the API's {h0['category_name']} {h0['count']}")
    circles = b.js("return document.querySelectorAll('.map-pane .map path.hotspot-circle').length")
    check(circles == len(want["hotspots"]), f"{circles} circles for {len(want['hotspots'])} hotspots")
    rings = b.js("return document.querySelectorAll('.map-pane .map path.repeat-marker').length")
    check(rings == sum(1 for r in want["repeats"] if "lat" in r), "a ring per repeat address")
    heads = b.js("return Array.from(document.querySelectorAll('.judgment-view h3')).map(h => h.textContent)")
    for word in ("热点", "趋势异常", "重复来源", "久拖未结"):
        check(any(h.startswith(word) for h in heads), f"the heading {word}")
    # A hotspot's row takes the map to it.
    b.driver.find_elements("css selector", ".judgment-hotspots tbody tr")[0].click()
    b.wait_js("return window.L && document.querySelectorAll('.map-pane .map path.hotspot-circle').length > 0",
              "the map at the hotspot")
    b.assert_no_console_errors("the 研判 view")
    b.screenshot("judgment")
    b.assert_tables_fit("in the 研判 view")
    b.resize(DESK)
    b.screenshot("judgment")
    b.assert_tables_fit("in the 研判 view")
    b.resize(PHONE)
    b.screenshot("judgment")  # looked at, not asserted: the console is for desks and walls
    b.resize(WALL)

    # ---- a new finding pushed ----
    b.driver.find_element("css selector", ".judgment-view form.filters button[type=button]").click()
    b.wait_js("return document.querySelectorAll('.judgment-hotspots table.judgment tbody tr').length === 0 &&"
              " document.querySelectorAll('.judgment-long-pending table.judgment tbody tr').length === 2",
              "the view at now: no hotspot yet, the two cases pending for 10 days")
    new = os.path.join(world.work, "new.jsonl")
    with open(new, "w") as f:
        for k in range(5):
            f.write(json.dumps({"category": "nyc.noise-residential", "severity": "IV", "risk": "low",
                                "channel": "hotline", "title": f"深夜噪音 {k + 1}",
                                "lon": -73.8768 + 0.001 * k, "lat": 40.7474,
                                "address": f"94th St {HOSTILE}"}, ensure_ascii=False) + "\n")
    check(send(world, server, new) == 5, "the five reports stored")
    b.wait_js("return Array.from(document.querySelectorAll('.alert-banner li')).some(li => li.textContent.includes('新研判热点'))",
              "the alert of the pushed hotspot")
    b.wait_js("return document.querySelectorAll('.judgment-hotspots table.judgment tbody tr').length === 1",
              "the pushed hotspot in the view")
    banner = b.js("return document.querySelector('.alert-banner').textContent")
    check("Noise - Residential" in banner and "5 起" in banner, f"the banner names it: {banner!r}")
    cell = b.js("return document.querySelector('.judgment-hotspots tbody tr td.address').textContent")
    check(HOSTILE in cell, "the address as text")
    check(b.js("return document.querySelectorAll('.judgment-view img').length") == 0 and
          not b.js("return window.__xss === 1"), "no markup from the address")
    # (by script: the view may be redrawn meanwhile by the pushed trend)
    b.js("document.querySelector('.judgment-hotspots tbody tr td').click()")
    b.assert_no_console_errors("the pushed finding")
    b.screenshot("judgment-pushed")

    # ---- English ----
    b.driver.find_element("css selector", "header.topbar button.lang").click()
    b.wait_js("return document.documentElement.lang === 'en' && !!document.querySelector('nav.tabs')",
              "the console in English")
    tabs = [t.text for t in b.driver.find_elements("css selector", "nav.tabs button[role=tab]")]
    check("Judgment" in tabs, f"the tab in English among {tabs}")
    b.assert_no_console_errors("English")
    log(f"{len(want['hotspots'])} hotspots, {len(want['trends'])} trends, {len(want['repeats'])} repeat sources,"
        f" {len(want['long-pending'])} long-pending shown as of {as_of}; a pushed hotspot announced")


webtest.run(main)

"""browser_frontdesk: the front desk (综合受理, docs/front-desk.md) in headless
Chromium against a real fengqiaod and PostgreSQL, with the West Lake demo
district (its keywords and addresses).

A receptionist of 灵隐街道 signs in and lands on 综合受理; an earlier case of
the same visitor (registered through the API) shows in the history panel as
soon as the phone is typed, masked; the title and description bring the
suggestion 邻里纠纷, which sets the category; a click on the map places the
case, then an address picked from the list (灵隐路12号) places it in its grid;
the case registered on the page is routed and reaches the grid worker's real
fq-terminal; the answer names where it went; the history then shows both, the
new title with a <script> in it as text; 查看完整信息 shows the full data and
writes one audit row; the English switch; no console errors; screenshots at
1920x1080 and 1366x768.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import DESK, WALL, Api, Browser, check, log  # noqa: E402

PASSWORD = "西湖-frontdesk-2026!"
GRID = "lingyin-lingfeng-g1"
HOSTILE = "楼上漏水<script>window.fqHacked=1</script>"


def typed(b, name, text):
    el = b.driver.find_element("css selector", f"form.fd-form [name={name}]")
    el.clear()
    el.send_keys(text)


def shots(b, name):
    for size in (WALL, DESK):
        b.resize(size)
        b.screenshot(name)
    b.resize(WALL)


def main(world):
    world.setup_district()
    world.add_user("li.desk", "receptionist", "lingyin", PASSWORD, "前台小李")
    grid = next(g for g in world.grids() if g["id"] == GRID)
    watches = {}
    for w in grid["workers"]:
        world.add_worker_terminal(w["id"])
    server = world.start_server()
    for w in grid["workers"]:
        watches[w["id"]] = server.watch_terminal(w["id"] + "-term")

    # An earlier case of the same visitor, through the API.
    api = Api(server)
    status, _, body = api.login("li.desk", PASSWORD)
    check(status == 200 and body.get("role") == "receptionist", f"API sign-in: {status} {body}")
    status, _, first = api.request("POST", "/api/v1/frontdesk/cases", {
        "request_id": "earlier-1", "person": {"name": "王小明", "phone": "13812345678"},
        "matter": "complaint", "channel": "hotline", "category": "dispute.neighbour", "severity": "iv",
        "risk": "low", "title": "楼上噪音扰民", "place_unit": GRID})
    check(status == 200, f"the earlier case: {status} {first}")

    b = Browser(world, WALL)
    try:
        b.sign_in(server.base_url + "/", "li.desk", PASSWORD,
                  "const s = document.querySelector('section.frontdesk'); return !!s && !s.hidden",
                  "the front desk, the receptionist's first view")
        check(b.js("return document.querySelector('nav.tabs button.active').textContent") == "综合受理",
              "综合受理 is the first tab")
        b.wait_js("return document.querySelectorAll('.fd-map path.grid-shape').length > 0", "the form's map")
        shots(b, "frontdesk-empty")
        b.assert_no_console_errors("after signing in")

        # -- the person: the history beside the form --
        typed(b, "name", "王小明")
        typed(b, "phone", "138 1234 5678")
        b.wait_js("const h = document.querySelector('.fd-history');"
                  "return h.innerText.includes('楼上噪音扰民') && h.innerText.includes('138****5678')",
                  "the history shows the earlier case, masked")
        check("13812345678" not in b.js("return document.querySelector('.fd-history').innerText"),
              "the history does not show the phone in clear")

        # -- the matter: suggestions set the category --
        typed(b, "title", HOSTILE)
        typed(b, "description", "邻居家楼上漏水，多次协商未果")
        b.wait_js("const c = document.querySelector('.fd-suggestions .chip');"
                  "return !!c && c.textContent === '邻里纠纷'", "the suggestion 邻里纠纷")
        b.wait_js("return document.querySelector('form.fd-form [name=category]').value === 'dispute.neighbour'",
                  "the suggestion sets the category")

        # -- the place: a map click, then an address from the list --
        fd_map = b.driver.find_element("css selector", ".fd-map")
        b.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", fd_map)
        from selenium.webdriver.common.action_chains import ActionChains
        ActionChains(b.driver).move_to_element(fd_map).click().perform()
        b.wait_js("return document.querySelector('.fd-place').textContent.startsWith('地图选点')",
                  "a click on the map places the case")
        typed(b, "address", "灵隐路")
        b.wait_js("return document.querySelectorAll('.fd-addresses button').length === 2",
                  "two addresses on 灵隐路")
        b.driver.find_element("css selector", ".fd-addresses button").click()
        b.wait_js("return document.querySelector('.fd-place').textContent.includes('灵峰社区1号网格')",
                  "the address places the case in its grid")
        check(b.js("return document.querySelector('form.fd-form [name=address]').value") == "灵隐路12号",
              "the address picked")
        shots(b, "frontdesk-form")

        # -- register --
        b.driver.find_element("css selector", "form.fd-form button[type=submit]").click()
        b.wait_js("return document.querySelector('form.fd-form .message.ok') !== null",
                  "the case registered", )
        incident = int(world.q1(f"SELECT id FROM incidents WHERE title = '{HOSTILE}'"))
        got = world.q(f"SELECT channel, reporter_node, worker, territory, reporter_name FROM incidents"
                      f" WHERE id = {incident}")[0]
        check(got[0] == "6" and got[1] == "p.li.desk" and got[3] == GRID and got[4] == "王*明",
              f"the incident: walk-in, the receptionist's node, the grid, the name masked: {got}")
        worker = got[2]
        watches[worker].wait_item(incident)
        worker_name = world.q1(f"SELECT name FROM workers WHERE id = '{worker}'")
        msg = b.js("return document.querySelector('form.fd-form .message').innerText")
        check(f"#{incident}" in msg and "灵峰社区1号网格" in msg and worker_name in msg,
              f"the answer names where it went: {msg}")
        log(f"registered on the page: incident {incident}, on {worker}'s terminal")

        # -- the history now has both; the hostile title as text --
        b.wait_js("return document.querySelectorAll('.fd-cases li').length === 2", "both cases in the history")
        text = b.js("return document.querySelector('.fd-history').innerText")
        check(HOSTILE in text, "the title with a <script> shows as text")
        check(b.js("return document.querySelectorAll('.fd-history script').length") == 0 and
              not b.js("return !!window.fqHacked"), "no script from a title ran or became markup")
        shots(b, "frontdesk-registered")

        # -- reveal, audited --
        b.driver.find_element("css selector", ".fd-cases li button.fd-reveal").click()
        b.wait_js("return document.querySelector('.fd-history').innerText.includes('13812345678')",
                  "the full data shown")
        check(world.q1("SELECT count(*) FROM person_reveals WHERE account = 'li.desk'") == "1",
              "one audit row for the look")
        shots(b, "frontdesk-revealed")

        # -- English --
        b.driver.find_element("css selector", "header.topbar button.lang").click()
        b.wait_js("const s = document.querySelector('section.frontdesk');"
                  "return !!s && !s.hidden && document.querySelector('nav.tabs button.active').textContent"
                  " === 'Front desk'", "the front desk in English")
        shots(b, "frontdesk-en")
        b.assert_no_console_errors("at the end")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()


if __name__ == "__main__":
    webtest.run(main)

"""browser_bulletin: the meetings' bulletin (fengqiao-admin bulletin,
docs/upward.md "The bulletin") made from a real history and looked at in
headless Chromium.

The history: nine reports through the real fengqiaod in three towns of the
West Lake district (categories of every line), four concluded by the
district's supervisor on the web API, three of those followed up with the
reporter's satisfaction (5, 4, 2), one escalated; two open cases made long
pending by moving their recorded_at ten days back (a fixture: the figures
are read from the same rows either way).

Checked: the bulletin's HTML and PDF are written (the PDF by Chromium's
print); on the page, every town's and every line's row equals
fq_meeting_stats read here with psql (received, concluded, on time, overdue,
escalated, pending over 7 and 30 days), the satisfaction of each row equals
the mean of its cases' scores computed here from incidents, the total row
equals the 'district' grouping, the long-pending list has the two old cases
by title, the towns are shown by name (no ids), a title with markup renders
as text; the page is A4 in print (its @page rule); screenshots of the page.
One town's bulletin (--town) has its row alone and the total of
fq_meeting_stats within the town; a town that is not one and a period
backwards are refused (exit 2) and write nothing.

Reports upward on the web console: a grade II incident goes to the
integration tests' HTTPS receiver (tests/integration/upward_receiver.py),
which refuses twice and then accepts; the incident's timeline names every
attempt in Chinese (向上级平台报送, 上级平台拒收 with HTTP 503, 上级平台已接收,
上级平台已确认接收), no event kind by its code; the panel's section of the
reports upward names the platform, the rule (等级 II), the state (已确认),
the attempts and the last answer; the bulletin counts the report.
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import DESK, WALL, Api, Browser, check, log  # noqa: E402

PASSWORD = "bulletin-secret-2026!"
CATEGORIES = ["dispute.neighbour", "food_safety", "illegal_construction", "elderly_care",
              "fire_hazard"]
XSS = "<b>加粗</b>事项"


def main(world):
    world.setup_district()
    towns = world.towns()[:3]
    for t in towns:
        world.add_town_platform(t["id"])
    world.add_user("district.sup", "supervisor", world.district_id(), PASSWORD, "区督办员")
    # The city's platform: the integration tests' HTTPS receiver, refusing at first.
    cert, key = os.path.join(world.work, "recv.crt"), os.path.join(world.work, "recv.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    secret = os.path.join(world.work, "upward.key")
    with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    mode = os.path.join(world.work, "receiver.mode")
    with open(mode, "w") as f:
        f.write("refuse\n")
    port_file = os.path.join(world.work, "receiver.port")
    world.spawn([sys.executable, os.path.join(world.src, "tests/integration/upward_receiver.py"),
                 "--cert", cert, "--key", key, "--key-file", secret, "--mode", mode,
                 "--log", os.path.join(world.work, "receiver.jsonl"), "--port-file", port_file])
    webtest.wait_until(lambda: os.path.exists(port_file), "the receiver's port")
    with open(port_file) as f:
        receiver = f"https://127.0.0.1:{f.read().strip()}/api/incidents"
    server = world.start_server(extra=["--upward-url", receiver, "--upward-ca-file", cert,
                                       "--upward-key-file", secret, "--upward-retry-min-ms", "300",
                                       "--upward-retry-max-ms", "1000", "--upward-scan-ms", "100"])
    api = Api(server)
    status, _, body = api.login("district.sup", PASSWORD)
    check(status == 200, f"sign-in: {status} {body}")

    ids = []
    for i in range(9):
        town = towns[i % 3]
        grid = town["villages"][0]["grids"][0]
        category = CATEGORIES[(i // 3 + i % 3) % len(CATEGORIES)]
        title = XSS if i == 8 else f"{town['name']}第{i // 3 + 1}件"
        inc, _ = server.report(f"{town['id']}-platform", grid["id"], title, category=category,
                               external_ref=f"BUL-{i}")
        ids.append(inc)
    log(f"reported {ids}")
    for inc, score in ((ids[0], 5), (ids[1], 4), (ids[2], 2), (ids[3], 0)):
        status, _, body = api.command(inc, "conclude", reason="已办结")
        check(status == 200, f"conclude {inc}: {status} {body}")
        if score:
            status, _, body = api.command(inc, "follow_up", reason="电话回访", satisfaction=score)
            check(status == 200, f"follow up {inc}: {status} {body}")
    status, _, body = api.command(ids[4], "escalate", reason="需上级协调")
    check(status == 200, f"escalate {ids[4]}: {status} {body}")
    old = (ids[5], ids[8])  # the second one titled with markup

    # A grade II incident goes upward: refused twice, then accepted.
    major, _ = server.report(f"{towns[0]['id']}-platform", towns[0]["villages"][0]["grids"][0]["id"],
                             "化工厂泄漏 周边群众疏散", severity="II", risk="high",
                             category="fire_hazard", external_ref="BUL-MAJOR")
    attempts = f"SELECT count(*) FROM events WHERE incident_id = {major} AND kind = 'reported_upward'"
    webtest.wait_until(lambda: int(world.q1(attempts)) >= 2, "two refused attempts")
    with open(mode, "w") as f:
        f.write("accept\n")
    webtest.wait_until(lambda: world.q1(f"SELECT count(*) FROM events WHERE incident_id = {major}"
                                        " AND kind = 'upward_acknowledged'") == "1",
                       "the report upward acknowledged")
    world.q(f"UPDATE incidents SET recorded_at = now() - interval '10 days' WHERE id IN {old}")

    date_from = world.q1("SELECT (current_date - 13)::text")
    date_to = world.q1("SELECT (current_date + 1)::text")
    html = os.path.join(world.work, "bulletin.html")
    pdf = os.path.join(world.artifacts, "bulletin.pdf")
    world.admin("bulletin", "--from", date_from, "--to", date_to, "--out", html, "--pdf", pdf)
    check(os.path.getsize(html) > 2000, "the HTML written")
    with open(pdf, "rb") as f:
        data = f.read()
    check(data[:5] == b"%PDF-" and len(data) > 10000, f"a PDF printed ({len(data)} bytes)")
    # Its pages A4 (595.3 x 841.9 points), as the page's @page rule asks.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    check(boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes),
          f"the PDF's pages are A4: {boxes[:3]}")
    log(f"bulletin {date_from}..{date_to}: {os.path.getsize(html)} bytes HTML, {os.path.getsize(pdf)} bytes PDF")

    # The figures as the statistics functions give them, read here.
    period = f"'{date_from}'::timestamptz, '{date_to}'::timestamptz"
    cols = ("received, concluded, concluded_on_time, overdue, escalated, pending_over_7d,"
            " pending_over_30d")
    want = {}
    for by in ("town", "line", "district"):
        for row in world.q(f"SELECT grp, {cols} FROM fq_meeting_stats({period}, '{by}')"):
            want[(by, row[0])] = [int(x) for x in row[1:]]
    sat = {}
    for row in world.q(
            "SELECT fq_town_of(coalesce(territory, place_unit)), round(avg(satisfaction), 2), count(satisfaction)"
            f" FROM incidents WHERE id IN (SELECT id FROM fq_case_facts({period}, NULL))"
            " AND satisfaction IS NOT NULL GROUP BY 1"):
        sat[("town", row[0])] = f"{float(row[1]):.2f}（{row[2]}件）"
    total_sat = world.q1("SELECT round(avg(satisfaction), 2) || '/' || count(satisfaction) FROM incidents"
                         f" WHERE id IN (SELECT id FROM fq_case_facts({period}, NULL))")
    check(total_sat == "3.67/3", f"the satisfaction scores stored: {total_sat}")

    b = Browser(world, size=(1600, 1000))
    try:
        # The incident's timeline on the web console: the attempts in Chinese.
        d = b.driver
        b.sign_in(server.base_url + "/", "district.sup", PASSWORD,
                  "return !!document.querySelector('.console table.board')", "the console")
        row = b.wait(lambda b: b.driver.find_element(
            "xpath", f"//table[contains(@class,'board')]//tr[.//span[@class='inc-id' and "
                     f"normalize-space(text())='#{major}']]"), f"incident {major} on the board")
        row.click()
        timeline_js = ("const t = document.querySelector('aside.incident-panel ol.timeline');"
                       "return t ? t.innerText : ''")
        b.wait_js("const t = document.querySelector('aside.incident-panel ol.timeline');"
                  "return t && t.innerText.includes('上级平台已确认接收')", "the acknowledgement on the timeline")
        text = b.js(timeline_js)
        n_attempts = int(world.q1(attempts))
        check(text.count("向上级平台报送") == n_attempts and text.count("上级平台拒收") == n_attempts - 1
              and "上级平台已接收" in text and "HTTP 503" in text and "HTTP 200" in text,
              f"the timeline names the {n_attempts} attempts: {text}")
        check("reported_upward" not in text and "upward_" not in text, f"no event kind by its code: {text}")
        # The panel's own section of the reports upward (GET /api/v1/upward/deliveries).
        b.wait_js("const r = document.querySelector('aside.incident-panel table.upward-deliveries tbody tr');"
                  "return r && r.innerText.includes('已确认')", "the reports upward in the incident panel")
        cells = b.js("return [...document.querySelectorAll('aside.incident-panel table.upward-deliveries tbody tr td')]"
                     ".map((c) => c.textContent)")
        check(len(cells) == 5 and cells[0].startswith("127.0.0.1:") and cells[1] == "等级 II"
              and cells[2].startswith("已确认") and cells[3] == str(n_attempts) and cells[4] == "HTTP 200",
              f"the panel's reports upward: {cells}")
        d.execute_script("document.querySelector('aside.incident-panel ol.timeline')"
                         ".scrollIntoView({block: 'center'})")
        b.screenshot("upward-timeline")
        b.assert_no_console_errors("on the incident reported upward")

        # The same history's statistics on the console (the last 30 days, the
        # tab's default): the times to acknowledge and conclude in words with
        # their unit, the village share a percentage, every table whole.
        b.js("const c = document.querySelector('aside.incident-panel button.close'); if (c) c.click();")
        next(t for t in d.find_elements("css selector", "nav.tabs button[role=tab]") if t.text == "统计").click()
        b.wait_js("return document.querySelectorAll('.stats-part').length === 3 &&"
                  " document.querySelectorAll('table.stats tbody tr').length >= 9", "the statistics' three tables")
        times = b.js("return document.querySelectorAll('.stats-part')[1].innerText")
        check(re.search(r"\d+(\.\d)? (秒|分钟|小时|天)", times), f"the times with their unit: {times!r}")
        cases = b.js("return document.querySelectorAll('.stats-part')[0].innerText")
        check(re.search(r"\d+%", cases), f"the village share as a percentage: {cases!r}")
        for size in (WALL, DESK):
            b.resize(size)
            b.screenshot("stats-history")
            b.assert_tables_fit("in the statistics")
        b.assert_no_console_errors("in the statistics")

        b.resize((1000, 1400))
        b.driver.get("file://" + html)
        b.wait_js("return document.querySelectorAll('table tbody tr').length > 0", "the bulletin's tables")
        tables = b.js("""
            return [...document.querySelectorAll('h2 + table')].map((t) => ({
                head: t.previousElementSibling.textContent,
                rows: [...t.querySelectorAll('tbody tr')].map((r) => ({
                    group: r.dataset.group || '', total: r.classList.contains('total'),
                    cells: [...r.cells].map((c) => c.textContent)}))}));""")
        by_head = {t["head"]: t["rows"] for t in tables}
        check(set(by_head) >= {"二、分街道情况", "三、分条线情况"}, f"the sections: {list(by_head)}")
        for head, by in (("二、分街道情况", "town"), ("三、分条线情况", "line")):
            rows = by_head[head]
            groups = [r["group"] for r in rows if not r["total"]]
            expected = sorted(g for (k, g) in want if k == by)
            check(sorted(groups) == expected, f"{head}: groups {groups} against {expected}")
            for r in rows:
                key = ("district", "district") if r["total"] else (by, r["group"])
                c = r["cells"]
                shown = [int(c[1]), int(c[2]), int(c[3]), int(c[5]), int(c[6]), int(c[9]), int(c[10])]
                check(shown == want[key], f"{head} {r['group'] or '合计'}: {shown} against {want[key]}")
                if by == "town" and not r["total"]:
                    check(c[7] == sat.get(key, "—"), f"{head} {r['group']}: satisfaction {c[7]!r} against {sat.get(key, '—')!r}")
                    check(r["group"] not in c[0], f"the town by its name, not its id: {c[0]}")
                if r["total"]:
                    check(c[0] == "合计" and c[7] == "3.67（3件）" and c[8] == "66.7%",
                          f"the total's satisfaction: {c}")
        names = {t["id"]: t["name"] for t in towns}
        shown_names = [r["cells"][0] for r in by_head["二、分街道情况"] if not r["total"]]
        check(sorted(shown_names) == sorted(names.values()), f"the towns' names: {shown_names}")
        pending = b.js("return [...document.querySelectorAll('#pending tbody tr')].map((r) => r.cells[1].textContent)")
        want_pending = [world.q1(f"SELECT title FROM incidents WHERE id = {i}") for i in old]
        check(sorted(pending) == sorted(want_pending), f"the long-pending list: {pending} against {want_pending}")
        summary = b.js("return document.getElementById('summary').textContent")
        check("本期共受理事项 10 件" in summary and "已办结 4 件" in summary, f"the summary: {summary}")
        upward = b.js("return document.getElementById('upward').textContent")
        check("报告重大情况 1 件，已获确认 1 件" in upward, f"the reports upward: {upward}")
        check(b.js("return document.querySelectorAll('b').length") == 0, "markup in a title is text")
        check(XSS in pending, f"a title with markup shown as its text: {pending}")
        check(b.js("""return [...document.styleSheets].some((s) => [...s.cssRules].some((r) =>
                      r instanceof CSSPageRule && /size:\s*a4/i.test(r.cssText)))"""),
              "an A4 @page rule")
        check(b.js("return document.documentElement.lang") == "zh-CN", "the page says it is Chinese")
        b.screenshot("bulletin")
        b.resize((794, 1123))  # A4 at 96 dpi
        b.screenshot("bulletin-a4")
        b.assert_no_console_errors("on the bulletin")

        # One town's bulletin: its row alone, its total that of fq_meeting_stats within the town.
        town = towns[0]
        town_html = os.path.join(world.work, "bulletin-town.html")
        world.admin("bulletin", "--from", date_from, "--to", date_to, "--town", town["id"], "--out", town_html)
        b.driver.get("file://" + town_html)
        b.wait_js("return document.querySelectorAll('table tbody tr').length > 0", "the town's bulletin")
        rows = b.js("""return [...document.querySelector('h2 + table').querySelectorAll('tbody tr')]
                       .map((r) => [r.dataset.group, ...[...r.cells].map((c) => c.textContent)])""")
        want_town = [int(x) for x in world.q(
            f"SELECT {cols} FROM fq_meeting_stats({period}, 'district', '{town['id']}')")[0]]
        check([r[0] for r in rows] == [town["id"], "district"], f"the town's bulletin has its row and the total: {rows}")
        shown = [int(rows[1][k]) for k in (2, 3, 4, 6, 7, 10, 11)]
        check(shown == want_town, f"the town's total {shown} against {want_town}")
        check(b.js("return document.querySelector('h1').textContent").startswith(town["name"]),
              "the town's bulletin is titled with its name")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()

    # Refusals: a town that is not one, a period backwards; nothing written.
    for args, words in ((["--town", "no-such-town"], "no such town"),
                        (["--from", date_to, "--to", date_from], "must come before")):
        argv = [world.admin_bin, "bulletin", "--from", date_from, "--to", date_to, *args,
                "--out", os.path.join(world.work, "refused.html")]
        r = subprocess.run(argv, capture_output=True, text=True)
        check(r.returncode == 2 and words in r.stderr, f"bulletin {args}: {r.returncode} {r.stderr.strip()}")
        check(not os.path.exists(os.path.join(world.work, "refused.html")), f"bulletin {args} wrote nothing")


if __name__ == "__main__":
    webtest.run(main)

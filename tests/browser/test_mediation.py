"""browser_mediation: a dispute mediated to an agreement on the web console
(docs/mediation.md) in headless Chromium against a real fengqiaod and
PostgreSQL, with the West Lake demo district and its mediation committees.

A town operator opens a reported neighbours' dispute, opens a mediation on
its panel (an applicant and a respondent with phones, the town's committee
and one of its mediators), sees the phones masked and reveals them with
查看完整电话 (one mediation_reveals row), records two sessions, and records the agreement
with a photo of the signed agreement chosen from disk: the database holds
each step as an event of the person's node, the incident is concluded with
the agreement as its result, the photo's bytes are the file's; the panel
shows the parties, the mediators by name, the sessions, the agreement and
its photo; the 调解 tab lists the mediation as ended and a second one, open,
with its clock; a party's name carrying a script renders as text. No
console errors; screenshots of the panel and the worklist at 1920x1080 and
1366x768.
"""

import hashlib
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import DESK, WALL, Browser, check, log  # noqa: E402

PASSWORD = "灵隐-mediation-2026!"
HOSTILE = "<img src=x onerror=alert(1)>"


def sign_in(b, server, account):
    d = b.driver
    d.get(server.base_url + "/")
    b.wait_js("return !!document.querySelector('form.signin input[name=account]')", "the sign-in form")
    d.find_element("css selector", "form.signin input[name=account]").send_keys(account)
    d.find_element("css selector", "form.signin input[name=password]").send_keys(PASSWORD)
    d.find_element("css selector", "form.signin button[type=submit]").click()
    b.wait_js("return !!document.querySelector('.console table.board')", "the console after signing in")


def open_incident(b, server, incident):
    b.driver.get(f"{server.base_url}/#incident/{incident}")
    b.wait_js("const p = document.querySelector('aside.incident-panel');"
              "return p && !p.hidden && !!p.querySelector('section.mediation h3')",
              f"incident {incident}'s panel with its mediation")


def med_form(b):
    return b.driver.find_element("css selector", "aside.incident-panel section.mediation form.med-form")


def submit_and_wait(b, world, incident, kind, count, settled=True):
    """Sends the mediation's form and waits for the step in the database and,
    unless the form is replaced (an opening), for the page's own answer — its
    form emptied for the next step — before anything is typed again."""
    b.js("document.querySelector('section.mediation form.med-form .message').textContent = ''")
    med_form(b).find_element("css selector", "button[type=submit]").click()
    webtest.wait_until(lambda: world.q1(f"SELECT count(*) FROM events WHERE incident_id = {incident}"
                                        f" AND kind = '{kind}'") == str(count),
                       f"{kind} stored ({count})")
    if settled:
        b.wait_js("const m = document.querySelector('section.mediation form.med-form .message');"
                  "return m && m.textContent === '已提交'", f"the page's answer to {kind}")


def make_photo(world):
    path = os.path.join(world.work, "signed-agreement.jpg")
    tool = os.environ.get("FQ_MAKE_IMAGE")
    if tool:
        subprocess.run([tool, "--jpeg", "800", "600", path, "--seed", "17"], check=True)
    else:  # a small valid PNG, made here
        import struct
        import zlib

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        raw = b"".join(b"\x00" + bytes([200, 180, 120]) * 64 for _ in range(48))
        path = path.replace(".jpg", ".png")
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def main(world):
    world.setup_district()
    town = next(t for t in world.towns() if t["id"] == "lingyin")
    grid = town["villages"][0]["grids"][0]["id"]
    world.add_town_platform("lingyin")
    world.add_user("lingyin.op", "operator", "lingyin", PASSWORD, "灵隐街道调解专干")
    server = world.start_server()
    dispute, _ = server.report("lingyin-platform", grid, "邻里宅基地边界纠纷", external_ref="BM-1")
    second, _ = server.report("lingyin-platform", grid, "楼上漏水纠纷", external_ref="BM-2")

    b = Browser(world, WALL)
    try:
        sign_in(b, server, "lingyin.op")
        open_incident(b, server, dispute)
        b.wait_js("return document.querySelector('section.mediation').innerText.includes('尚未调解') &&"
                  " !!document.querySelector('section.mediation form.med-form')",
                  "尚未调解 and the form to open one")
        from selenium.webdriver.support.select import Select
        # The committees and mediators come from the directory.
        b.wait_js("return document.querySelectorAll('section.mediation select[name=committee] option').length > 1"
                  " && document.querySelectorAll('section.mediation input[name=mediator]').length > 0",
                  "the committees and mediators to choose from")
        form = med_form(b)
        rows = form.find_elements("css selector", ".med-party-row")
        check(len(rows) == 2, f"two party rows to start with: {len(rows)}")
        for row, (name, role, phone) in zip(rows, [("张大山", "村民", "13800001111"),
                                                   (f"李小河{HOSTILE}", "邻居", "13900002222")]):
            row.find_element("css selector", "input[name=party_name]").send_keys(name)
            row.find_element("css selector", "input[name=party_role]").send_keys(role)
            row.find_element("css selector", "input[name=party_phone]").send_keys(phone)
        Select(form.find_element("css selector", "select[name=committee]")).select_by_value("lingyin-trc")
        form.find_element("css selector", "input[name=mediator][value='med.wang']").click()
        form.find_element("css selector", "textarea[name=note]").send_keys("双方自愿申请调解")
        for size in (WALL, DESK):
            b.resize(size)
            b.screenshot("mediation-open-form")
        b.resize(WALL)
        submit_and_wait(b, world, dispute, "mediation_opened", 1, settled=False)
        b.wait_js("const m = document.querySelector('section.mediation');"
                  "return m.innerText.includes('调解中') && m.innerText.includes('王淑芬') &&"
                  " m.innerText.includes('灵隐街道人民调解委员会') && !!m.querySelector('.countdown')",
                  "the panel: 调解中, the committee and mediator by name, the clock")

        # The parties' phones masked on the panel; "查看完整电话" asks with
        # reveal=1, shows them whole, says the look is recorded, and the
        # server wrote one audit row for it.
        b.wait_js("const t = document.querySelector('section.mediation .med-parties').innerText;"
                  "return t.includes('138****1111') && !t.includes('13800001111') &&"
                  " !!document.querySelector('section.mediation button.med-reveal')",
                  "the phones masked and the button to see them whole")
        check(world.q1("SELECT count(*) FROM mediation_reveals") == "0", "no look recorded before asking")
        check("将被记录" in b.js("return document.querySelector('section.mediation .med-reveal-row').innerText"),
              "the button says the look is recorded")
        b.driver.execute_script("document.querySelector('section.mediation').scrollIntoView({block: 'start'})")
        b.screenshot("mediation-masked")
        b.driver.find_element("css selector", "section.mediation button.med-reveal").click()
        b.wait_js("const m = document.querySelector('section.mediation');"
                  "return m.querySelector('.med-parties').innerText.includes('13800001111') &&"
                  " m.querySelector('.med-parties').innerText.includes('13900002222') &&"
                  " m.innerText.includes('本次查看已记录')",
                  "the phones whole and the note that the look is recorded")
        got = world.q("SELECT account, role, incident_id FROM mediation_reveals")
        check(got == [["lingyin.op", "operator", str(dispute)]], f"one audit row for the look: {got}")
        b.screenshot("mediation-revealed")

        # Two sessions.
        for n, (place, who, note) in enumerate([("玉泉社区调解室", "张大山、李小河、王淑芬", "双方陈述，分歧在界桩"),
                                                ("宅基地现场", "张大山，李小河，王淑芬，村干部", "现场勘界，初步同意")]):
            b.wait(lambda b: med_form(b).find_element("css selector", "select.med-step"), "the step form")
            form = med_form(b)
            Select(form.find_element("css selector", "select.med-step")).select_by_value("mediation_session")
            form.find_element("css selector", "input[name=place]").send_keys(place)
            form.find_element("css selector", "input[name=attendees]").send_keys(who)
            form.find_element("css selector", "textarea[name=note]").send_keys(note)
            submit_and_wait(b, world, dispute, "mediation_session", n + 1)
        b.wait_js("return document.querySelectorAll('section.mediation .med-sessions li').length === 2",
                  "two sessions on the panel")

        # The agreement with a photo of the signed agreement.
        photo = make_photo(world)
        form = med_form(b)
        Select(form.find_element("css selector", "select.med-step")).select_by_value("mediation_agree")
        form.find_element("css selector", "textarea[name=agreement]").send_keys(
            "一、以原界桩为界；\n二、李小河拆除越界围墙，张大山补偿五百元。")
        form.find_element("css selector", "input[type=file][name=photo]").send_keys(photo)
        form.find_element("css selector", "textarea[name=note]").send_keys("双方当场签字")
        submit_and_wait(b, world, dispute, "mediation_agreed", 1, settled=False)
        got = world.q(f"SELECT state, result FROM incidents WHERE id = {dispute}")
        check(got[0][0] == "concluded" and got[0][1].startswith("一、以原界桩为界"),
              f"concluded with the agreement as its result: {got}")
        actors = world.q(f"SELECT DISTINCT actor_node FROM events WHERE incident_id = {dispute}"
                         f" AND kind LIKE 'mediation%'")
        check(actors == [["p.lingyin.op"]], f"every step is the person's: {actors}")
        with open(photo, "rb") as f:
            want_sha = hashlib.sha256(f.read()).hexdigest()
        stored = world.q1(f"SELECT encode(sha256, 'hex') FROM attachments a JOIN mediation_cases m"
                          f" ON m.incident_id = a.incident_id AND m.ended_seq = a.event_seq"
                          f" WHERE a.incident_id = {dispute}")
        check(stored == want_sha, f"the agreement's photo is the file: {stored} vs {want_sha}")
        b.wait_js("const m = document.querySelector('section.mediation');"
                  "return m.innerText.includes('达成协议') && m.innerText.includes('李小河拆除越界围墙') &&"
                  " !!m.querySelector('a.attachment img.thumb') && m.querySelector('img.thumb').naturalWidth > 0",
                  "the panel: 达成协议, the agreement and its photo")
        check(HOSTILE in b.js("return document.querySelector('section.mediation .med-parties').innerText"),
              "the hostile name is shown as text")
        check(not b.js("return !!document.querySelector('section.mediation .med-parties img')"),
              "no element made from a party's name")
        b.driver.execute_script("document.querySelector('section.mediation').scrollIntoView({block: 'start'})")
        for size in (WALL, DESK):
            b.resize(size)
            b.screenshot("mediation-agreed")
        b.resize(WALL)
        b.wait_js("return document.querySelector('aside.incident-panel ol.timeline').innerText"
                  ".includes('达成调解协议')", "the timeline names the step in Chinese")

        # A second dispute in mediation, overdue, for the worklist.
        open_incident(b, server, second)
        b.wait_js("return document.querySelectorAll('section.mediation input[name=mediator]').length > 0",
                  "the form for the second dispute")
        form = med_form(b)
        for row, name in zip(form.find_elements("css selector", ".med-party-row"), ["王楼上", "赵楼下"]):
            row.find_element("css selector", "input[name=party_name]").send_keys(name)
        form.find_element("css selector", "input[name=mediator][value='med.chen']").click()
        form.find_element("css selector", "textarea[name=note]").send_keys("漏水损失争议")
        submit_and_wait(b, world, second, "mediation_opened", 1, settled=False)
        world.q(f"UPDATE mediation_cases SET due_at = now() - interval '2 days' WHERE incident_id = {second}")

        b.driver.find_element("css selector", "aside.incident-panel header button.close").click()
        tabs = b.driver.find_elements("css selector", "nav.tabs button[role=tab]")
        next(x for x in tabs if x.text == "调解").click()
        b.wait_js("const rows = document.querySelectorAll('table.med-list tbody tr');"
                  f"return rows.length === 1 && rows[0].innerText.includes('#{second}') &&"
                  " rows[0].innerText.includes('已超期') && rows[0].innerText.includes('陈志强')",
                  "the worklist: the open one, overdue, its mediator by name")
        for size in (WALL, DESK):
            b.resize(size)
            b.screenshot("mediation-worklist")
        b.resize(WALL)
        Select(b.driver.find_element("css selector", "select.med-filter")).select_by_value("ended")
        b.wait_js("const rows = document.querySelectorAll('table.med-list tbody tr');"
                  f"return rows.length === 1 && rows[0].innerText.includes('#{dispute}') &&"
                  " rows[0].innerText.includes('达成协议') && rows[0].innerText.includes('138****1111')",
                  "the ended list: the agreement, phones masked")
        b.screenshot("mediation-ended")
        # Mediation success by town and by mediator: one agreement of one ended.
        b.wait_js("const r = document.querySelectorAll('table.med-success tbody tr');"
                  "return r.length === 1 && r[0].innerText.includes('灵隐街道') && r[0].innerText.includes('100%')",
                  "the success by town: 灵隐街道 100% (1 agreed of 1 ended, 1 open)")
        Select(b.driver.find_element("css selector", "select.med-by")).select_by_value("mediator")
        b.wait_js("const t = document.querySelector('table.med-success tbody').innerText;"
                  "return t.includes('王淑芬') && t.includes('陈志强')", "the success by mediator, by name")
        for size in (WALL, DESK):
            b.resize(size)
            b.screenshot("mediation-success")
        b.resize(WALL)
        check(world.q1("SELECT count(*) FROM mediation_reveals") == "1",
              "the panel's refreshes after the look recorded no other")
        b.assert_no_console_errors("at the end")
        log(f"mediated {dispute} to an agreement on the page; {second} open and overdue in the worklist")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()
    time.sleep(0)


if __name__ == "__main__":
    webtest.run(main)

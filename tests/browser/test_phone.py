"""browser_phone: the grid worker's phone page (/phone/, docs/phone.md) in
headless Chromium emulating a 360x640 phone with touch, against a real
fengqiaod and PostgreSQL with the West Lake demo district (issue #14 item 5).

- a worker signs in; an incident reported by fq-report appears on the page
  within 1 s of its acknowledgement (measured in the page);
- the assignment shows its map (the grid's boundary and the point), the
  navigation link, who reported it, its limits counting down;
- 签收, then 办结 with a photo made by fq-make-image (or a PNG made here):
  the stored photo's SHA-256 is named in the conclusion's event, its bytes
  hash to it, and `fengqiao-admin verify` passes;
- the server stops; three actions are given on the page (签收, 进展, 办结) and
  wait in its outbox, also across a reload of the page without a server
  (the service worker); the server starts again on the same ports: each
  action happens exactly once (events counted in PostgreSQL) and the
  waiting count returns to 0;
- another worker's assignment can be neither seen nor acted on, by URL and
  by API (403);
- a non-image and an oversized file are refused by the page with a clear
  message, and by the API (415, 413) storing nothing;
- a report from the field with the phone's position and a photo;
- no console errors (but the failed requests while the server is down);
  screenshots phone-*-360x640.png.

The page's hooks the test relies on are listed in tests/browser/README.md.
"""

import base64
import hashlib
import os
import struct
import subprocess
import sys
import time
import uuid
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import DESK, PHONE, Api, Browser, check, log  # noqa: E402

PASSWORD = "grid-worker-2026!"
LIVE_LIMIT_MS = 1000
# While the server is down the page's requests fail: expected there, nowhere else.
OFFLINE_ERRORS = ("net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_RESET", "net::ERR_EMPTY_RESPONSE",
                  "Failed to fetch")


# ---- photos ----

def png_bytes(width, height, seed=1, noise=False):
    """A real PNG (zlib from the standard library): a gradient, or noise
    that does not compress (for an oversized file)."""
    rows = bytearray()
    state = seed
    for y in range(height):
        rows.append(0)
        for x in range(width):
            if noise:
                state = (state * 1103515245 + 12345) & 0x7FFFFFFF
                rows += bytes((state >> 8 & 255, state >> 16 & 255, state >> 4 & 255))
            else:
                rows += bytes(((x * 255) // max(1, width - 1), (y * 255) // max(1, height - 1), (seed * 40) & 255))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 6 if not noise else 0)) + chunk(b"IEND", b""))


def make_photo(world, path, width, height, seed=1, noise=False):
    """fq-make-image when the build has it (tests/support), else a PNG here."""
    tool = os.environ.get("FQ_MAKE_IMAGE")
    if tool and os.path.exists(tool):
        argv = [tool, "--jpeg" if path.endswith(".jpg") else "--png", str(width), str(height), path,
                "--seed", str(seed)] + (["--noise"] if noise else [])
        subprocess.run(argv, check=True, capture_output=True)
    else:
        if path.endswith(".jpg"):
            path = path[:-4] + ".png"
        with open(path, "wb") as f:
            f.write(png_bytes(width, height, seed, noise))
    return path


# ---- the page ----

def sign_in(b, server, account, password, shot=None):
    b.sign_in(server.base_url + "/phone/", account, password,
              "return !!document.querySelector('.phone h2.list-title')", "my assignments after signing in", shot)


def card_ids(b):
    return b.js("return Array.from(document.querySelectorAll('.cards a.card')).map(e => +e.dataset.id)")


def pending_count(b):
    """The waiting count the page shows (0 when its mark is hidden)."""
    return b.js("""const p = document.querySelector('header.bar .pending-count');
                   return p && !p.hidden ? +p.dataset.count : 0;""")


def open_assignment(b, iid):
    b.js(f"location.hash = '#/a/{iid}'")
    b.wait_js("return !!document.querySelector('.view h2.incident-title') && "
              "!!document.querySelector('.view .facts')", f"assignment {iid} on the page")


def tap(b, selector, what):
    """Finds, scrolls to and clicks; again when a redraw of the page (a live
    update) replaced the element in between (a stale element is not clicked)."""
    def go():
        el = b.driver.find_element("css selector", selector)
        b.js("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()
        return el
    return webtest.wait_until(go, what)


def action(b, kind, note=None, photos=(), picker=None, choices=None):
    """Taps an action's button; fills its form (choices: select name ->
    value; note; photos) and sends it."""
    from selenium.webdriver.support.select import Select
    tap(b, f"section.actions button[data-kind={kind}]", f"the {kind} button")
    if kind == "acknowledge":
        return
    form = b.wait(lambda br: br.driver.find_element("css selector", f"form.action-form[data-kind={kind}]"),
                  f"the {kind} form")
    for name, value in (choices or {}).items():
        Select(form.find_element("css selector", f"select[name={name}]")).select_by_value(value)
    for photo in photos:
        inp = form.find_element("css selector", f"input[type=file][name={picker}]")
        n = len(form.find_elements("css selector", ".photo img"))
        inp.send_keys(photo)
        b.wait(lambda br: len(form.find_elements("css selector", ".photo img")) > n or
               form.find_element("css selector", ".message.error").text, f"the photo {photo} in the form")
        err = form.find_elements("css selector", ".message.error")
        check(not err or not err[0].text, f"the photo {photo} was refused: {err[0].text if err else ''}")
    if note is not None:
        form.find_element("css selector", "textarea[name=note]").send_keys(note)
    form.find_element("css selector", "button[type=submit]").click()
    b.wait_js(f"return !document.querySelector('form.action-form[data-kind={kind}]')", f"the {kind} form sent")


def events(world, iid, actor):
    rows = world.q(f"SELECT kind, count(*) FROM events WHERE incident_id = {iid} AND actor_node = '{actor}' "
                   "GROUP BY kind")
    return {k: int(n) for k, n in rows}


def main(world):
    world.setup_district()
    town = world.towns()[0]
    grid_a = town["villages"][0]["grids"][0]
    grid_b = town["villages"][0]["grids"][1]
    worker_a, worker_b = grid_a["workers"][0], grid_b["workers"][0]
    # One worker on duty in each grid: the routing's choice is theirs.
    for g in (grid_a, grid_b):
        for w in g["workers"][1:]:
            world.worker_duty(w["id"], False)
    platform = world.add_town_platform(town["id"])
    world.add_worker_user("grid.a", PASSWORD, "张晓燕", worker=worker_a["id"])
    world.add_worker_user("grid.b", PASSWORD, "李建国", worker=worker_b["id"])
    world.add_user("duty.op", "operator", world.district_id(), PASSWORD, "区值班员")
    world.add_user("duty.sup", "supervisor", world.district_id(), PASSWORD, "区督办员")
    node_a = "p.grid.a"
    server = world.start_server()
    photo = make_photo(world, os.path.join(world.work, "after.jpg"), 2400, 1800, seed=3)
    ring_a = grid_a["polygon"]
    lng_a = sum(p[0] for p in ring_a) / len(ring_a)
    lat_a = sum(p[1] for p in ring_a) / len(ring_a)

    b = Browser(world, PHONE, mobile=True)
    try:
        concluded, photo_id = run_phone(world, server, b, platform, grid_a, grid_b, worker_a, node_a, photo,
                                        lat_a, lng_a)
    except Exception:
        b.dump()
        raise
    finally:
        b.close()

    # -- the photo in the web console's timeline of that incident --
    c = Browser(world, DESK)
    try:
        c.driver.get(server.base_url + f"/#incident/{concluded}")
        c.wait_js("return !!document.querySelector('form.signin input[name=account]')", "the console's sign-in")
        c.driver.find_element("css selector", "form.signin input[name=account]").send_keys("duty.op")
        c.driver.find_element("css selector", "form.signin input[name=password]").send_keys(PASSWORD)
        c.driver.find_element("css selector", "form.signin button[type=submit]").click()
        c.wait_js("const i = document.querySelector('aside.incident-panel ol.timeline img.thumb');"
                  "return i && i.complete && i.naturalWidth > 0", "the photo's thumbnail in the console's timeline")
        href = c.js("return document.querySelector('aside.incident-panel ol.timeline a.attachment')"
                    ".getAttribute('href')")
        check(href == f"/api/v1/attachments/{photo_id}", f"the thumbnail opens the photo full size: {href}")
        c.js("document.querySelector('aside.incident-panel ol.timeline img.thumb')"
             ".scrollIntoView({block: 'center'})")
        c.screenshot("incident-photo")
        c.assert_no_console_errors("in the console with the photo")
    except Exception:
        c.dump()
        raise
    finally:
        c.close()


def run_phone(world, server, b, platform, grid_a, grid_b, worker_a, node_a, photo, lat_a, lng_a):
    b.grant(server.base_url, ["geolocation", "notifications"])
    b.set_position(lat_a, lng_a)
    sign_in(b, server, "grid.a", PASSWORD, shot="phone-signin")
    who = b.js("return document.querySelector('.who').innerText")
    check("张晓燕" in who and worker_a["name"] in who and "grid.a" not in who,
          f"the top names the person and the worker they serve, no ids: {who!r}")
    b.wait_js("return !!document.querySelector('header.bar .link-state.online')", "the page online")
    b.assert_no_console_errors("after signing in")

    # -- a report reaches the page within 1 s of its acknowledgement --
    b.js("""
        window.__fqSeen = {};
        const look = () => {
            for (const e of document.querySelectorAll('.cards a.card')) {
                if (!(e.dataset.id in window.__fqSeen)) window.__fqSeen[e.dataset.id] = Date.now();
            }
        };
        look();
        window.__fqPoll = setInterval(look, 50);""")
    delays = []
    ids = []
    # Grade IV, low risk: the built-in principle keeps them in the village, with its grid worker.
    for n, (title, category) in enumerate((("楼道堆放杂物堵塞消防通道", "fire_hazard"),
                                           ("小区门口路灯损坏", "city_appearance"),
                                           ("邻里噪音纠纷", "dispute.neighbour"))):
        iid, acked_ms = server.report(platform, grid_a["id"], title, severity="IV", risk="low", category=category,
                                      external_ref=f"PH-LIVE-{n}", address=f"北山路{12 + n}号",
                                      reporter_name="王先生", reporter_phone="13812345678",
                                      lat=f"{lat_a:.6f}", lon=f"{lng_a:.6f}")
        seen = b.wait_js(f"return window.__fqSeen[{iid}] || null", f"incident {iid} on the phone")
        delays.append(seen - acked_ms)
        ids.append(iid)
    b.js("clearInterval(window.__fqPoll)")
    log(f"report acknowledged -> on the phone: {', '.join(f'{d:.0f}' for d in delays)} ms")
    check(max(delays) <= LIVE_LIMIT_MS, f"a report took {max(delays):.0f} ms to reach the phone "
                                        f"(limit {LIVE_LIMIT_MS})")
    holders = world.q(f"SELECT id, worker FROM incidents WHERE id IN ({','.join(map(str, ids))})")
    check(all(w == worker_a["id"] for _, w in holders), f"the reports went to {worker_a['id']}: {holders}")
    check(b.js("return !!document.querySelector('.banner a')"), "a banner announces the new assignment")
    # ... and a notification (the service worker's, as phones require), the permission granted.
    shown = webtest.wait_until(lambda: b.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.getRegistration()
            .then((r) => (r ? r.getNotifications() : []))
            .then((list) => done(list.map((n) => n.body)), () => done([]));"""), "a notification shown")
    check(any("邻里噪音纠纷" in t or "小区门口路灯损坏" in t for t in shown), f"the notification names it: {shown}")
    text = b.js("return document.querySelector('.cards').innerText")
    check(grid_a["name"] in text and grid_a["id"] not in text, f"cards name the grid, not its id: {text[:300]!r}")
    check(b.js("return document.querySelectorAll('.cards .countdown').length") >= 3, "countdowns on the cards")
    b.screenshot("phone-assignments")

    # -- one assignment: map, navigation, reporter, limits --
    first, second, third = ids
    open_assignment(b, first)
    b.wait_js("return document.querySelectorAll('.place-map path.grid-shape').length === 1 && "
              "document.querySelectorAll('.place-map path.place-point').length === 1",
              "the grid's boundary and the point on the assignment's map")
    geo = b.js("return document.querySelector('a.navigate').getAttribute('href')")
    check(geo.startswith(f"geo:{round(lat_a, 6)}"[:10]) and "?q=" in geo, f"the navigation link: {geo}")
    facts = b.js("return document.querySelector('.facts').innerText")
    check("王先生" in facts and "138****5678" in facts and "13812345678" not in facts,
          f"who reported, the phone masked: {facts!r}")
    check("北山路12号" in facts and platform not in facts, f"address and names, no ids: {facts!r}")
    b.screenshot("phone-assignment")

    # -- 签收 and 办结 with a photo --
    action(b, "acknowledge")
    webtest.wait_until(lambda: events(world, first, node_a).get("acknowledged") == 1, "the acknowledgement stored")
    b.wait_js("return !!document.querySelector('section.actions button[data-kind=conclude]')", "办结 offered")
    action(b, "conclude", note="已清理楼道杂物，消防通道畅通", photos=[photo], picker="after")
    webtest.wait_until(lambda: events(world, first, node_a).get("concluded") == 1, "the conclusion stored")
    b.wait_js("return !document.querySelector('header.bar .pending-count') || "
              "document.querySelector('header.bar .pending-count').hidden", "nothing waiting")
    rows = world.q(f"""SELECT a.id, encode(a.sha256, 'hex'), encode(sha256(a.bytes), 'hex'), a.width, a.height,
                              a.content_type, position(a.sha256 IN e.payload) > 0
                       FROM attachments a JOIN events e ON e.seq = a.event_seq
                       WHERE a.incident_id = {first} AND e.kind = 'concluded'""")
    check(len(rows) == 1, f"one photo stored with the conclusion: {rows}")
    att_id, sha, sha_bytes, width, height, ctype, named = rows[0]
    check(sha == sha_bytes, f"the stored bytes hash to the recorded SHA-256 ({sha} / {sha_bytes})")
    check(named == "t", "the photo's SHA-256 is in the conclusion's event (its envelope, in the hash chain)")
    check(max(int(width), int(height)) <= 1600 and ctype == "image/jpeg",
          f"the page scaled the 2400x1800 photo down to JPEG: {width}x{height} {ctype}")
    verify = subprocess.run([world.admin_bin, "verify"], capture_output=True, text=True)
    check(verify.returncode == 0, f"fengqiao-admin verify: {verify.stdout} {verify.stderr}")
    log(f"photo {att_id} {width}x{height} sha256 {sha[:16]}… in the event; verify: {verify.stdout.strip()[:120]}")
    b.js("location.hash = '#/'")
    b.wait_js(f"return !document.querySelector('.cards a.card[data-id=\"{first}\"]')", "the concluded one leaves the list")
    # Its timeline on the phone shows the photo.
    open_assignment(b, first)
    b.wait_js("return document.querySelectorAll('ol.timeline img.thumb').length === 1 && "
              "document.querySelector('ol.timeline img.thumb').naturalWidth > 0", "the photo in the timeline")
    b.js("document.querySelector('ol.timeline').scrollIntoView({block: 'start'})")
    b.wait_js("return !document.querySelector('.toast')", "the toast gone (a clean picture)")
    check("已办结" in b.js("return document.querySelector('.view').innerText"), "the page says it is concluded")
    b.screenshot("phone-timeline")
    b.assert_no_console_errors("after concluding")

    # -- offline: the server stops; three actions wait on the phone --
    open_assignment(b, second)
    b.wait_js("return !!document.querySelector('section.actions button[data-kind=acknowledge]')", "签收 offered")
    server.restart_later()
    b.wait_js("return !!document.querySelector('header.bar .link-state.offline')", "the page knows it is offline")
    action(b, "acknowledge")
    b.wait_js("return !!document.querySelector('section.actions button[data-kind=progress]')",
              "进展 offered after a queued 签收")
    action(b, "progress", note="已联系物业，明天上午维修")
    action(b, "conclude", note="路灯已修复")
    b.wait_js("return +(document.querySelector('header.bar .pending-count') || {dataset: {}}).dataset.count === 3",
              "3 项待发送")
    check("3" in b.js("return document.querySelector('header.bar .pending-count').textContent"), "the count in words")
    b.screenshot("phone-offline-detail")
    b.js("location.hash = '#/outbox'")
    b.wait_js("return document.querySelectorAll('ol.outbox li').length === 3", "the three waiting items listed")
    b.screenshot("phone-outbox")
    # The page again, without a server: the service worker has its files, IndexedDB its queue.
    b.driver.refresh()
    b.wait_js("return document.querySelectorAll('ol.outbox li').length === 3",
              "the three waiting items after a reload without a server")
    check(b.js("return !!navigator.serviceWorker.controller"), "the service worker serves the page")
    check(all(events(world, second, node_a).get(k, 0) == 0 for k in ("acknowledged", "progress", "concluded")),
          "nothing happened while the server was down")
    b.assert_no_console_errors("while the server is down", allow=OFFLINE_ERRORS)

    server.start(same_ports=True)
    b.wait_js("return !!document.querySelector('header.bar .link-state.online')", "the page online again")
    b.wait_js("return !document.querySelector('header.bar .pending-count') || "
              "document.querySelector('header.bar .pending-count').hidden", "the waiting count back to 0")
    got = events(world, second, node_a)
    check(got.get("acknowledged") == 1 and got.get("progress") == 1 and got.get("concluded") == 1,
          f"each queued action happened exactly once: {got}")
    order = [k for (k,) in world.q(f"SELECT kind FROM events WHERE incident_id = {second} "
                                   f"AND actor_node = '{node_a}' ORDER BY seq")]
    check(order == ["acknowledged", "progress", "concluded"], f"in the order given: {order}")
    # Retried requests must not have made a second request row either.
    b.assert_no_console_errors("after the server came back", allow=OFFLINE_ERRORS)

    # -- another worker's assignment: neither seen nor acted on --
    other, _ = server.report(platform, grid_b["id"], "他人网格的事件", severity="IV", risk="low",
                             category="city_appearance", external_ref="PH-OTHER")
    api = Api(server)
    status, _, body = api.login("grid.a", PASSWORD)
    check(status == 200 and body.get("role") == "worker", f"the worker's API sign-in: {status} {body}")
    status, _, body = api.request("GET", f"/api/v1/field/assignments/{other}")
    check(status == 403 and body["error"]["code"] == "forbidden", f"another's assignment by API: {status} {body}")
    status, _, body = api.request("POST", f"/api/v1/field/assignments/{other}/actions",
                                  {"request_id": uuid.uuid4().hex, "kind": "acknowledge"})
    check(status == 403, f"acting on another's assignment by API: {status} {body}")
    status, _, body = api.request("GET", "/api/v1/field/assignments")
    check(status == 200 and other not in [a["incident_id"] for a in body["assignments"]],
          "another's assignment is not in my list")
    b.js(f"location.hash = '#/a/{other}'")
    b.wait_js("return !!document.querySelector('.view .refusal')", "the page refuses another's assignment")
    shown = b.js("return document.querySelector('.view').innerText")
    check("他人网格的事件" not in shown and not b.js("return !!document.querySelector('section.actions')"),
          f"nothing of it shown, no actions: {shown!r}")
    b.screenshot("phone-forbidden")
    check(world.q1(f"SELECT count(*) FROM events WHERE incident_id = {other} AND actor_node = '{node_a}'") == "0",
          "nothing done on another's assignment")
    b.assert_no_console_errors("after another's assignment", allow=(f"/field/assignments/{other}",))

    # -- bad files: refused with a clear message, nothing stored --
    open_assignment(b, third)
    action(b, "acknowledge")
    webtest.wait_until(lambda: events(world, third, node_a).get("acknowledged") == 1, "the third acknowledged")
    b.wait_js("return !!document.querySelector('section.actions button[data-kind=progress]')", "进展 offered")
    tap(b, "section.actions button[data-kind=progress]", "the progress button")
    form = b.wait(lambda br: br.driver.find_element("css selector", "form.action-form[data-kind=progress]"),
                  "the progress form")
    not_image = os.path.join(world.work, "notes.jpg")
    with open(not_image, "w") as f:
        f.write("这不是一张照片\n")
    form.find_element("css selector", "input[type=file][name=photo]").send_keys(not_image)
    msg = b.wait(lambda br: form.find_element("css selector", ".message.error").text, "the non-image refused")
    check("notes.jpg" in msg and "不是图片" in msg, f"a clear message for a non-image: {msg!r}")
    big = os.path.join(world.work, "huge.png")
    with open(big, "wb") as f:
        f.write(png_bytes(16, 16)[:-12])  # a PNG's start, then 26 MB: a file the page does not read
        f.write(os.urandom(26 << 20))
    form.find_element("css selector", "input[type=file][name=photo]").send_keys(big)
    msg = b.wait(lambda br: "huge.png" in form.find_element("css selector", ".message.error").text and
                 form.find_element("css selector", ".message.error").text, "the oversized file refused")
    check("太大" in msg and "MB" in msg, f"a clear message for an oversized file: {msg!r}")
    check(not form.find_elements("css selector", ".photo img"), "no photo taken into the form")
    b.js("document.querySelector('form.action-form .message').scrollIntoView({block: 'center'})")
    b.screenshot("phone-bad-photo")
    before = world.q1("SELECT count(*) FROM attachments"), world.q1("SELECT count(*) FROM events")
    for photos, status_want, code in (
            ([{"name": "a.jpg", "content_type": "image/jpeg", "data": base64.b64encode(b"not a picture").decode()}],
             415, "not_an_image"),
            ([{"name": "big.png", "content_type": "image/png",
               "data": base64.b64encode(png_bytes(1100, 1000, noise=True)).decode()}], 413, "too_large")):
        status, _, body = api.request("POST", f"/api/v1/field/assignments/{third}/actions",
                                      {"request_id": uuid.uuid4().hex, "kind": "progress", "note": "附照片",
                                       "photos": photos})
        check(status == status_want and body["error"]["code"] == code and body["error"]["message"],
              f"the API refuses with {status_want} {code}: {status} {body}")
    after = world.q1("SELECT count(*) FROM attachments"), world.q1("SELECT count(*) FROM events")
    check(before == after, f"refused uploads store nothing: {before} -> {after}")
    tap(b, "form.action-form[data-kind=progress] button[type=button]", "cancel")

    # -- a supervision order: shown with its text, replied to; an extension asked --
    sup = Api(server)
    check(sup.login("duty.sup", PASSWORD)[0] == 200, "the supervisor signs in")
    due_ms = int(time.time() * 1000) + 2 * 3600 * 1000
    status, _, body = sup.command(third, "supervise", reason="请今天内答复处置进展", deadline_ms=due_ms)
    check(status == 200, f"the supervision order: {status} {body}")
    b.wait_js("const s = document.querySelector('.view section.supervision');"
              "return s && s.innerText.includes('请今天内答复处置进展') && s.innerText.includes('区督办员') && "
              "!!document.querySelector('section.actions button[data-kind=reply]')",
              "the supervision order on the open assignment, live, with 督办回复 offered")
    shown = b.js("return document.querySelector('.view').innerText")
    check("p.duty.sup" not in shown and "supervision order" not in shown,
          f"the order and its timeline event in the supervisor's words, no ids: {shown!r}")
    b.js("document.querySelector('.view section.supervision').scrollIntoView({block: 'start'})")
    b.wait_js("return !document.querySelector('.toast')", "the toast gone (a clean picture)")
    b.screenshot("phone-supervision")
    action(b, "reply", note="已约谈物业，明日上午完成清理")
    webtest.wait_until(lambda: events(world, third, node_a).get("supervision_replied") == 1, "the reply stored")
    b.wait_js("return !document.querySelector('.view section.supervision')", "the order answered")
    action(b, "extend", note="需等待物业采购配件", choices={"extend_by": str(2 * 86400000)})
    webtest.wait_until(lambda: events(world, third, node_a).get("extension_requested") == 1,
                       "the extension asked")
    asked = world.q1(f"SELECT extract(epoch FROM extension_asked - conclude_due)::int FROM incidents "
                     f"WHERE id = {third}")
    check(asked == str(2 * 86400), f"two more days on the conclude limit asked: {asked} s")

    # -- 退回: beyond capacity, it goes one tier up and leaves the list --
    fourth, _ = server.report(platform, grid_a["id"], "高空坠物隐患", severity="IV", risk="low",
                              category="city_appearance", external_ref="PH-RETURN")
    b.js("location.hash = '#/'")
    b.wait_js(f"return !!document.querySelector('.cards a.card[data-id=\"{fourth}\"]')", "the fourth on the list")
    open_assignment(b, fourth)
    action(b, "return", note="需专业高空作业设备，网格无法处置", choices={"reason": "beyond_capacity"})
    webtest.wait_until(lambda: events(world, fourth, node_a).get("returned") == 1, "the return stored")
    b.js("location.hash = '#/'")
    b.wait_js(f"return !document.querySelector('.cards a.card[data-id=\"{fourth}\"]')",
              "the returned one leaves the worker's list")
    check(world.q1(f"SELECT coalesce(worker, '') FROM incidents WHERE id = {fourth}") != worker_a["id"],
          "the returned incident is no longer the worker's")

    # -- a report from the field, with the phone's position and a photo --
    b.js("location.hash = '#/'")
    tap(b, "a.fab", "the report button")
    form = b.wait(lambda br: br.driver.find_element("css selector", "form.report-form"), "the report form")
    b.wait(lambda br: "," in form.find_element("css selector", ".where").text, "the phone's position")
    form.find_element("css selector", "input[name=title]").send_keys("井盖缺失")
    form.find_element("css selector", "input[name=address]").send_keys("北山路30号门口")
    scene = make_photo(world, os.path.join(world.work, "scene.png"), 800, 600, seed=7)
    form.find_element("css selector", "input[type=file][name=scene]").send_keys(scene)
    b.wait(lambda br: form.find_elements("css selector", ".photo img"), "the scene photo in the form")
    b.wait_js("return !document.querySelector('.toast')", "the toast gone (a clean picture)")
    b.js("document.querySelector('form.report-form .field.location').scrollIntoView({block: 'center'})")
    b.screenshot("phone-report")
    form.find_element("css selector", "button[type=submit]").click()
    reported = webtest.wait_until(lambda: world.q(
        "SELECT i.id, i.territory FROM incidents i JOIN events e ON e.incident_id = i.id "
        f"WHERE e.kind = 'reported' AND e.actor_node = '{node_a}'"), "the field report stored")
    check(len(reported) == 1 and reported[0][1] == grid_a["id"], f"placed in the worker's grid: {reported}")
    check(world.q1(f"SELECT count(*) FROM attachments WHERE incident_id = {reported[0][0]}") == "1",
          "the report's photo stored with it")
    b.wait_js("return !document.querySelector('header.bar .pending-count') || "
              "document.querySelector('header.bar .pending-count').hidden", "nothing waiting after the report")

    # -- English on request --
    b.js("location.hash = '#/'")
    tap(b, ".who button.lang", "the language switch")
    b.wait_js("return document.documentElement.lang === 'en' && "
              "document.querySelector('h2.list-title').textContent.startsWith('My assignments')", "English")
    b.screenshot("phone-assignments-en")
    tap(b, ".who button.lang", "back to Chinese")
    b.wait_js("return document.documentElement.lang === 'zh-CN'", "Chinese again")
    # The console's address sends a worker's account to the phone page.
    b.driver.get(server.base_url + "/")
    b.wait_js("return location.pathname === '/phone/' && !!document.querySelector('.phone h2.list-title')",
              "the console sends the worker to /phone/")
    # Signing out leaves no assignment, detail or name on the phone (the queue, empty here, would stay).
    tap(b, ".who button.logout", "sign out")
    b.wait_js("return !!document.querySelector('form.signin')", "the sign-in form after signing out")
    kept = b.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const req = indexedDB.open('fq-phone');
        req.onsuccess = () => {
            const keys = req.result.transaction('meta').objectStore('meta').getAllKeys();
            keys.onsuccess = () => done(keys.result.map(String));
        };
        req.onerror = () => done(['error']);""")
    check(not [k for k in kept if k.startswith("grid.a:") and not k.endswith((":lastSeq", ":notes"))],
          f"no assignment, detail or name kept after signing out: {kept}")
    b.assert_no_console_errors("at the end")
    return first, int(att_id)


if __name__ == "__main__":
    webtest.run(main)

"""browser_web_security: the web console's security rules against a real
fengqiaod and PostgreSQL (issue #11 items 2 and 5). HTTP-only checks go
through http.client; what only a browser shows runs in headless Chromium.

- no session: 401 on the API;
- a town operator: 403 on another town's incident, to read and to command;
- a command without the CSRF token, or with another session's: 403;
- the 6th wrong password in a minute is refused (429) even when correct,
  and every attempt is a row of web_logins;
- a viewer cannot command (403);
- a report titled <img src=x onerror=alert(1)> renders as text on the board
  and on the incident page: no alert, no such element, the text visible;
- the phone page (docs/phone.md): no session is 401 on the field API too; a
  console account is 403 on it and a worker account 403 on the console's
  reads; the hostile title renders as text on the phone's list and
  assignment pages;
- TLS is required off loopback: --http 0.0.0.0:PORT without --tls-cert exits
  non-zero with a message;
- HTTPS with a self-signed certificate works in Chromium, and the session
  cookie is Secure, HttpOnly and SameSite=Strict.
"""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webtest  # noqa: E402
from webtest import PHONE, Api, Browser, WALL, check, log, self_signed_cert  # noqa: E402

PASSWORD = "town-secret-2026!"
XSS = "<img src=x onerror=alert(1)>"


def error_code(body):
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def expect(resp, status, code, what):
    got, _, body = resp
    check(got == status, f"{what}: expected {status}, got {got} {body}")
    if code:
        check(error_code(body) == code, f"{what}: expected error code {code}, got {body}")
    check(not isinstance(body, dict) or "error" not in body or body["error"].get("message"),
          f"{what}: an error without a message for people: {body}")


def main(world):
    world.setup_district()
    towns = world.towns()
    town_a, town_b = towns[0], towns[1]
    grid_a = town_a["villages"][0]["grids"][0]
    grid_b = town_b["villages"][0]["grids"][0]
    world.add_town_platform(town_a["id"])
    world.add_town_platform(town_b["id"])
    district = world.district_id()
    world.add_user("town.a.op", "operator", town_a["id"], PASSWORD, "北山街道值班员")
    world.add_user("district.viewer", "viewer", district, PASSWORD, "区领导")
    world.add_user("district.sup", "supervisor", district, PASSWORD, "区督办员")
    world.add_user("victim", "operator", district, PASSWORD, "被猜密码的人")
    # A grid worker's account, the only one on duty in its grid: the grid's reports are its own.
    phone_worker = grid_a["workers"][0]
    for w in grid_a["workers"][1:]:
        world.worker_duty(w["id"], False)
    world.add_worker_user("grid.worker", PASSWORD, "网格员小陈", worker=phone_worker["id"])

    # -- TLS required off loopback: the server refuses to start --
    port = webtest.free_port()
    r = subprocess.run([world.serverd, "--db", world.db, "--server-key", world.server_key,
                        "--intake", f"tcp://127.0.0.1:{webtest.free_port()}",
                        "--terminals", f"tcp://127.0.0.1:{webtest.free_port()}",
                        "--http", f"0.0.0.0:{port}"], capture_output=True, text=True, timeout=60)
    check(r.returncode != 0, "fengqiaod --http 0.0.0.0:PORT without --tls-cert started")
    check("tls" in r.stderr.lower(), f"the refusal names TLS: {r.stderr.strip()!r}")
    log(f"off loopback without TLS: exit {r.returncode}: {r.stderr.strip()[:200]}")

    server = world.start_server()
    inc_a, _ = server.report(f"{town_a['id']}-platform", grid_a["id"], "A镇事件", severity="III",
                             risk="medium", external_ref="SEC-A")
    inc_b, _ = server.report(f"{town_b['id']}-platform", grid_b["id"], "B镇事件", severity="III",
                             risk="medium", external_ref="SEC-B")
    xss_id, _ = server.report(f"{town_a['id']}-platform", grid_a["id"], XSS, severity="II", risk="high",
                              external_ref="SEC-XSS", description=XSS, address=XSS)
    # Grade IV, low risk: kept in the village, the grid worker's.
    xss_phone, _ = server.report(f"{town_a['id']}-platform", grid_a["id"], XSS, severity="IV", risk="low",
                                 external_ref="SEC-XSS-PHONE", description=XSS, address=XSS,
                                 reporter_name=XSS)

    # -- no session: 401 everywhere under /api/v1 --
    anon = Api(server)
    for path in ("/api/v1/session", "/api/v1/board", f"/api/v1/incidents/{inc_a}", "/api/v1/topology",
                 "/api/v1/roster", "/api/v1/stats?by=town", "/api/v1/events"):
        expect(anon.request("GET", path), 401, "unauthenticated", f"GET {path} without a session")
    expect(anon.command(inc_a, "escalate"), 401, "unauthenticated", "a command without a session")
    for path in ("/api/v1/field/assignments", f"/api/v1/field/assignments/{xss_phone}",
                 "/api/v1/field/sync?after=0&wait_ms=0", "/api/v1/attachments/1"):
        expect(anon.request("GET", path), 401, "unauthenticated", f"GET {path} without a session")
    expect(anon.request("POST", f"/api/v1/field/assignments/{xss_phone}/actions",
                        {"request_id": "anon-1", "kind": "acknowledge"}), 401, "unauthenticated",
           "a field action without a session")
    expect(anon.request("POST", "/api/v1/field/reports", {"request_id": "anon-2", "title": "x"}), 401,
           "unauthenticated", "a field report without a session")
    anon.cookie = "fq_session=" + "0" * 64
    expect(anon.request("GET", "/api/v1/board"), 401, "unauthenticated", "a made-up session cookie")

    # -- a town operator: its town only --
    town_op = Api(server)
    status, hdrs, body = town_op.login("town.a.op", PASSWORD)
    check(status == 200, f"town operator signs in: {status} {body}")
    cookie = next((c for c in hdrs["set-cookie-all"] if c.startswith("fq_session=")), "")
    attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
    check("httponly" in attrs and "secure" in attrs and "samesite=strict" in attrs,
          f"the session cookie is HttpOnly, Secure, SameSite=Strict: {cookie.split(';', 1)[-1]}")
    check(town_op.request("GET", f"/api/v1/incidents/{inc_a}")[0] == 200, "the operator reads its town's incident")
    expect(town_op.request("GET", f"/api/v1/incidents/{inc_b}"), 403, "forbidden",
           "a town operator reads another town's incident")
    expect(town_op.command(inc_b, "escalate"), 403, "forbidden", "a town operator commands another town's incident")
    board = town_op.request("GET", "/api/v1/board")[2]
    ids = {i["incident_id"] for i in board["incidents"]}
    check(inc_a in ids and inc_b not in ids, f"the town's board holds its own incidents only: {sorted(ids)}")
    found = town_op.request("GET", "/api/v1/board?q=SEC-B")[2]
    check(not found["incidents"], "a search does not reach another town's incidents")
    check(world.q1(f"SELECT count(*) FROM events WHERE incident_id = {inc_b} AND actor_node = 'p.town.a.op'") == "0",
          "no event from the refused command")

    # -- the field API is the worker's, the console's reads are not --
    expect(town_op.request("GET", "/api/v1/field/assignments"), 403, "role", "a console account on the field API")
    phone_api = Api(server)
    check(phone_api.login("grid.worker", PASSWORD)[0] == 200, "the worker signs in")
    for path in ("/api/v1/board", f"/api/v1/incidents/{xss_phone}", "/api/v1/roster"):
        expect(phone_api.request("GET", path), 403, "role", f"a worker account on {path}")
    expect(phone_api.request("POST", f"/api/v1/field/assignments/{xss_phone}/actions",
                             {"request_id": "no-csrf", "kind": "acknowledge"}, csrf=False), 403, "csrf",
           "a field action without the CSRF token")

    # -- CSRF: a command without the token, or with another session's --
    expect(town_op.command(inc_a, "escalate", csrf=False), 403, "csrf", "a command without the CSRF token")
    sup = Api(server)
    check(sup.login("district.sup", PASSWORD)[0] == 200, "the supervisor signs in")
    status, _, body = town_op.request("POST", f"/api/v1/incidents/{inc_a}/commands",
                                      {"request_id": "csrf-other", "kind": "escalate", "reason": "x"},
                                      csrf=False, headers={"X-CSRF-Token": sup.csrf})
    check(status == 403 and error_code(body) == "csrf", f"another session's CSRF token: {status} {body}")
    expect(town_op.request("POST", "/api/v1/logout", csrf=False), 403, "csrf", "a logout without the CSRF token")
    check(world.q1(f"SELECT count(*) FROM events WHERE incident_id = {inc_a} AND actor_node = 'p.town.a.op'") == "0",
          "no event from the commands without a CSRF token")

    # -- a viewer cannot command --
    viewer = Api(server)
    check(viewer.login("district.viewer", PASSWORD)[0] == 200, "the viewer signs in")
    check(viewer.request("GET", f"/api/v1/incidents/{inc_b}")[0] == 200, "the viewer reads")
    in_an_hour = int(time.time() * 1000) + 3600 * 1000
    for kind, extra in (("escalate", {}), ("conclude", {}), ("supervise", {"deadline_ms": in_an_hour})):
        expect(viewer.command(inc_a, kind, **extra), 403, "role", f"a viewer's {kind}")
    check(world.q1("SELECT count(*) FROM events WHERE actor_node = 'p.district.viewer'") == "0",
          "no event from the viewer")

    # -- the 6th wrong password in a minute is refused even when correct --
    guesser = Api(server)
    for n in range(5):
        expect(guesser.login("victim", f"wrong-{n}"), 401, "unauthenticated", f"wrong password {n + 1}")
    status, hdrs, body = guesser.login("victim", PASSWORD)
    check(status == 429 and error_code(body) == "rate_limited",
          f"the 6th attempt in a minute, with the right password: {status} {body}")
    check("retry-after" in hdrs, "a 429 says when to retry (Retry-After)")
    check(guesser.cookie is None, "no session from a refused attempt")
    outcomes = [r[0] for r in world.q("SELECT outcome FROM web_logins WHERE account = 'victim' ORDER BY id")]
    check(outcomes == ["wrong_password"] * 5 + ["rate_limited"], f"every attempt audited: {outcomes}")
    check(Api(server).login("district.sup", PASSWORD)[0] == 200, "another account is not locked out")

    # -- logout ends the session at once --
    check(sup.request("POST", "/api/v1/logout")[0] == 204, "logout")
    expect(sup.request("GET", "/api/v1/board"), 401, "unauthenticated", "the session after logout")

    # -- a hostile title renders as text, on the board and the incident page --
    b = Browser(world, WALL)
    try:
        sign_in(b, server, "town.a.op")
        # alert() counted instead of shown (a shown one would also stop Selenium's
        # next command); the page is never reloaded below, so the hook stays.
        b.js("window.__fqAlerts = 0; window.alert = () => { window.__fqAlerts++; };")
        b.wait_js(f"return document.querySelector('table.board').innerText.includes({XSS!r})",
                  "the hostile title as text on the board")
        check(b.js("return document.querySelectorAll('img[src=x], img[src$=\"/x\"]').length") == 0,
              "the hostile title made an element on the board")
        b.screenshot("xss-board")
        b.driver.find_element("xpath", f"//table[contains(@class,'board')]//tr[.//span[@class='inc-id' and "
                                       f"normalize-space(text())='#{xss_id}']]").click()
        b.wait_js("const p = document.querySelector('aside.incident-panel');"
                  f"return p && !p.hidden && p.querySelector('.incident-title').innerText.includes({XSS!r})"
                  f"", "the hostile title as text on the incident page")
        check(b.js("return document.querySelectorAll('img[src=x], img[src$=\"/x\"]').length") == 0,
              "the hostile title, description or address made an element on the incident page")
        check(not b.js("return window.__fqAlerts"), "alert() ran")
        # Names, not ids: a town's page names the district's units that hold its incidents.
        center = world.topology["district"]["center"]
        panel = b.js("return document.querySelector('aside.incident-panel').innerText")
        holder = world.q1(f"SELECT coalesce(worker, lead_unit) FROM incidents WHERE id = {xss_id}")
        check(holder not in panel, f"the incident page shows the holder's id {holder}, not its name")
        if holder == center["id"]:
            check(center["name"] in panel, f"the incident page names the holder {center['name']}")
        b.screenshot("xss-incident")
        b.assert_no_console_errors("with a hostile title")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()

    # -- the hostile title on the phone page: text, on the list and the assignment --
    b = Browser(world, PHONE, mobile=True)
    try:
        b.driver.get(server.base_url + "/phone/")
        b.wait_js("return !!document.querySelector('form.signin input[name=account]')", "the phone's sign-in")
        b.driver.find_element("css selector", "form.signin input[name=account]").send_keys("grid.worker")
        b.driver.find_element("css selector", "form.signin input[name=password]").send_keys(PASSWORD)
        b.driver.find_element("css selector", "form.signin button[type=submit]").click()
        b.wait_js("return !!document.querySelector('.phone h2.list-title')", "the worker's list")
        b.js("window.__fqAlerts = 0; window.alert = () => { window.__fqAlerts++; };")
        b.wait_js(f"const c = document.querySelector('.cards a.card[data-id=\"{xss_phone}\"]');"
                  f"return c && c.innerText.includes({XSS!r})", "the hostile title as text on the phone's list")
        check(b.js("return document.querySelectorAll('img[src=x], img[src$=\"/x\"]').length") == 0,
              "the hostile title made an element on the phone's list")
        b.js(f"location.hash = '#/a/{xss_phone}'")
        b.wait_js(f"const t = document.querySelector('.view h2.incident-title');"
                  f"return t && t.innerText.includes({XSS!r}) && document.querySelector('.facts')",
                  "the hostile title as text on the phone's assignment")
        facts = b.js("return document.querySelector('.facts').innerText")
        check(facts.count(XSS) >= 2, f"address and reporter as text too: {facts!r}")
        check(b.js("return document.querySelectorAll('img[src=x], img[src$=\"/x\"]').length") == 0,
              "the hostile title, address or reporter made an element on the phone's assignment")
        check(not b.js("return window.__fqAlerts"), "alert() ran on the phone page")
        b.screenshot("phone-xss")
        b.assert_no_console_errors("on the phone with a hostile title")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()

    # -- HTTPS with a self-signed certificate, in Chromium --
    problems = server.stop()  # one fengqiaod serves a database at a time
    check(not problems, "; ".join(problems))
    cert, key = self_signed_cert(world)
    tls = world.start_server(tls=(cert, key))
    b = Browser(world, WALL, extra_args=("--ignore-certificate-errors",))
    try:
        sign_in(b, tls, "district.sup")
        c = b.driver.get_cookie("fq_session")
        check(c is not None, "the session cookie over HTTPS")
        check(c.get("secure") and c.get("httpOnly") and c.get("sameSite") == "Strict",
              f"the cookie is Secure, HttpOnly, SameSite=Strict: {c}")
        check("fq_session" not in b.js("return document.cookie"), "the page's script cannot read the session")
        check(b.js("return location.protocol") == "https:", "the page came over HTTPS")
        b.screenshot("https-board")
        b.assert_no_console_errors("over HTTPS")
    except BaseException:
        b.dump()
        raise
    finally:
        b.close()


def sign_in(b, server, account):
    b.sign_in(server.base_url + "/", account, PASSWORD,
              "return !!document.querySelector('.console table.board')", f"the console of {account}")


if __name__ == "__main__":
    webtest.run(main)

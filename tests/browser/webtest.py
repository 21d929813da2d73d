"""webtest: shared helpers of the browser tests (tests/browser/README.md).

A test gets, from ctest's environment (tests/browser/CMakeLists.txt), the
programs under test and the shared private PostgreSQL cluster (fixture
integ_pg). It makes its own database with the West Lake demo district,
starts a real fengqiaod with --http on free ports, makes web accounts with
`fengqiao-admin user add`, drives headless Chromium through Selenium and
saves screenshots into ${CMAKE_BINARY_DIR}/artifacts/screenshots.

Every wait is on a condition with a generous bound (for a machine whose two
cores are busy with other things); nothing here sleeps and hopes.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid

WALL = (1920, 1080)
DESK = (1366, 768)
PHONE = (360, 640)  # the smallest phone the phone page is made for (docs/phone.md)

# A phone's browser as the page sees it (Leaflet's L.Browser.mobile, touch).
MOBILE_UA = ("Mozilla/5.0 (Linux; Android 13; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/120.0.0.0 Mobile Safari/537.36")

def _newest_psql():
    """The newest PostgreSQL's own psql (the one tests/pg_private.sh runs),
    not Debian's pg_wrapper in PATH, a Perl script that picks it per call."""
    root = "/usr/lib/postgresql"
    try:
        versions = sorted((d for d in os.listdir(root) if d.isdigit()), key=int)
    except OSError:
        versions = []
    for v in reversed(versions):
        path = os.path.join(root, v, "bin", "psql")
        if os.access(path, os.X_OK):
            return path
    return "psql"


PSQL = _newest_psql()

# The bound of every wait: a ceiling for a busy machine, never a measurement.
WAIT_S = float(os.environ.get("FQ_BROWSER_WAIT_S", "30"))


def env(name):
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"webtest: {name} is not set (run through ctest)")
    return value


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')} {os.environ.get('FQ_TEST_NAME', 'browser')}] {msg}",
          file=sys.stderr, flush=True)


class Failure(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_until(cond, what, timeout=WAIT_S, interval=0.05):
    """Polls cond() until it returns something true; returns it. Fails with
    `what` (and the last exception cond raised, if any) after timeout s."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            got = cond()
            if got:
                return got
        except Failure:
            raise
        except Exception as exc:  # the page is still loading, the element not there yet
            last_exc = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise Failure(f"not within {timeout:.0f} s: {what}{detail}")
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- the world: database, topology, nodes, accounts ----


class World:
    """One test's database (test_NAME in the shared cluster) with the demo
    district's topology at its real time limits, its server key, the nodes it
    registers and the server it runs."""

    TOPOLOGY = "examples/westlake-topology.json"

    def __init__(self):
        self.src = env("FQ_SRC_DIR")
        self.serverd = env("FQ_SERVERD")
        self.admin_bin = env("FQ_ADMIN")
        self.report_bin = env("FQ_REPORT")
        self.terminal_bin = env("FQ_TERMINAL")
        self.name = env("FQ_TEST_NAME")
        self.work = os.path.join(env("FQ_WORK_ROOT"), self.name)
        self.artifacts = env("FQ_ARTIFACTS")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(os.path.join(self.work, "keys"))
        os.makedirs(os.path.join(self.artifacts, "screenshots"), exist_ok=True)
        self.servers = []
        self.procs = []
        self.browsers = []
        self.topology = json.load(open(os.path.join(self.src, self.TOPOLOGY), encoding="utf-8"))
        self._create_db()

    # -- database --

    def _create_db(self):
        cluster = env("FQ_CLUSTER")
        base = subprocess.run([os.path.join(self.src, "tests/pg_private.sh"), "conninfo", cluster],
                              check=True, capture_output=True, text=True).stdout.strip()
        db = "test_" + self.name.replace("-", "_")
        # A copy of the migrated template when the cluster has it
        # (tests/integration/cluster.sh), as the integration tests do.
        found = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-d", base, "-c",
                                "SELECT count(*) FROM pg_database WHERE datname = 'fq_template'"],
                               check=True, capture_output=True, text=True).stdout.strip()
        template = " TEMPLATE fq_template" if found == "1" else ""
        for sql in (f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", f"CREATE DATABASE {db}{template}"):
            subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-c", sql],
                           check=True, capture_output=True)
        self.db = base.replace("dbname=fengqiao", f"dbname={db}")
        self.server_key = os.path.join(self.work, "server.key")
        os.environ["FQ_DB"] = self.db
        os.environ["FQ_SERVER_KEY"] = self.server_key

    def q(self, sql):
        """One query through psql (independent of the server): rows of
        columns, as text."""
        out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-d", self.db, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def q1(self, sql):
        rows = self.q(sql)
        return rows[0][0] if rows else None

    def admin(self, *args, stdin=None):
        r = subprocess.run([self.admin_bin, *args], input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"fengqiao-admin {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return r.stdout

    def setup_district(self):
        """Migrations and the West Lake topology with the district's real
        limits (an incident reported now is not overdue for minutes)."""
        t0 = time.monotonic()
        self.admin("server-key", "create", self.server_key)
        self.admin("migrate")
        self.admin("import-topology", os.path.join(self.src, self.TOPOLOGY), "--note", "browser test")
        log(f"district loaded in {time.monotonic() - t0:.1f} s")

    # -- the demo district's shape --

    def towns(self):
        return self.topology["towns"]

    def grids(self):
        return [g for t in self.towns() for v in t["villages"] for g in v["grids"]]

    def grids_of_town(self, town_id):
        return [g for t in self.towns() if t["id"] == town_id for v in t["villages"] for g in v["grids"]]

    def district_id(self):
        return self.topology["district"]["id"]

    # -- nodes --

    def key_of(self, node):
        return os.path.join(self.work, "keys", node + ".key")

    def add_node(self, node, *args):
        self.admin("node", "add", node, *args, "--key-out", self.key_of(node))
        return node

    def add_town_platform(self, town):
        return self.add_node(f"{town}-platform", "--role", "town_platform", "--jurisdiction", town)

    def add_worker_terminal(self, worker):
        return self.add_node(f"{worker}-term", "--role", "terminal", "--serves-worker", worker)

    # -- accounts --

    def add_user(self, account, role, jurisdiction, password, display_name=None):
        """fengqiao-admin user add, the password on stdin."""
        self.admin("user", "add", account, "--role", role, "--jurisdiction", jurisdiction,
                   "--display-name", display_name or account, stdin=password + "\n")
        return account

    def add_worker_user(self, account, password, display_name, worker=None, unit=None):
        """A worker account (the phone page's): serving a grid worker or a
        unit's duty post, the password on stdin."""
        serves = ["--serves-worker", worker] if worker else ["--serves-unit", unit]
        self.admin("user", "add", account, "--role", "worker", *serves,
                   "--display-name", display_name, stdin=password + "\n")
        return account

    def worker_duty(self, worker, on):
        self.admin("worker", "duty", worker, "on" if on else "off")

    # -- the server --

    def start_server(self, http_addr=None, extra=(), tls=None):
        """fengqiaod with the intake, the terminal endpoint and HTTP on free
        ports of 127.0.0.1 (or http_addr); waits for its ready file and for
        the HTTP port to accept. tls: (cert, key) paths."""
        server = Server(self, http_addr, list(extra), tls)
        server.start()
        self.servers.append(server)
        return server

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        problems = []
        for s in self.servers:
            problems += s.stop()
        if problems:
            raise Failure("; ".join(problems))


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Server:
    def __init__(self, world, http_addr, extra, tls):
        self.world = world
        self.http_addr = http_addr
        self.extra = extra
        self.tls = tls
        self.proc = None
        self.stopped = False
        self.n = len(world.servers) + 1
        self.log_path = os.path.join(world.work, f"server.{self.n}.log")

    @property
    def base_url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.http_port}"

    def argv(self, same_ports=False):
        if not same_ports:
            self.intake = f"tcp://127.0.0.1:{free_port()}"
            self.terminals = f"tcp://127.0.0.1:{free_port()}"
            self.http_port = free_port()
        addr = self.http_addr or f"127.0.0.1:{self.http_port}"
        self.http_port = int(addr.rsplit(":", 1)[1])
        self.ready = os.path.join(self.world.work, f"server.{self.n}.ready")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        argv = [self.world.serverd, "--db", self.world.db, "--server-key", self.world.server_key,
                "--intake", self.intake, "--terminals", self.terminals, "--http", addr,
                "--ready-file", self.ready,
                # The tests report many cases at one place: none is to be merged.
                "--dedup-window-min", "0"]
        if self.tls:
            argv += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        return argv + self.extra

    def start(self, same_ports=False):
        """same_ports: again on the ports of the last start (a restart the
        browser does not notice but for the gap)."""
        for attempt in range(3 if not same_ports else 1):
            argv = self.argv(same_ports)
            logf = open(self.log_path, "ab")
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=logf)
            try:
                wait_until(lambda: self.proc.poll() is not None or
                           (os.path.exists(self.ready) and os.path.getsize(self.ready) > 0),
                           "fengqiaod writes its ready file", timeout=60)
            except Failure:
                raise Failure(f"fengqiaod did not become ready: {self.tail()}")
            if self.proc.poll() is None:
                wait_until(self._http_accepts, f"fengqiaod accepts HTTP on {self.http_port}")
                log(f"fengqiaod {self.proc.pid} serving {self.base_url}")
                return
            if same_ports or ("cannot listen" not in self.tail() and "in use" not in self.tail()):
                raise Failure(f"fengqiaod exited during start ({self.proc.returncode}): {self.tail()}")
            log(f"a port was taken (attempt {attempt + 1}); trying others")
        raise Failure("could not start fengqiaod")

    def _http_accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.http_port), timeout=1).close()
            return True
        except OSError:
            return False

    def tail(self, n=20):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def restart_later(self):
        """Stops the server now (checked as stop() checks it); start(same_ports=True)
        brings it back on the same ports."""
        problems = self.stop()
        if problems:
            raise Failure("; ".join(problems))
        self.stopped = False
        self.n = max(s.n for s in self.world.servers) + 1  # a log of its own
        self.log_path = os.path.join(self.world.work, f"server.{self.n}.log")

    def stop(self):
        """SIGTERM, a clean exit within 60 s, no sanitizer report. Returns
        the problems found. The bound is a ceiling for a busy machine: CI's
        browser_judgment ran out of 20 s at a load of 20."""
        problems = []
        if self.proc and self.proc.poll() is not None and not self.stopped:
            problems.append(f"fengqiaod died before it was stopped (status {self.proc.returncode})")
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "killed"
                problems.append("fengqiaod did not exit within 60 s of SIGTERM")
            if rc != 0 and rc != "killed":
                problems.append(f"fengqiaod exited with status {rc}")
        self.stopped = True
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if any(m in text for m in SANITIZER_MARKS):
            problems.append(f"sanitizer report in {self.log_path}")
        if problems:
            log("last lines of the server's log:\n" + self.tail(40))
        return problems

    # -- clients of the nanomsg side --

    def report(self, platform, place, title, severity="IV", risk="low", category="dispute.neighbour",
               external_ref=None, **fields):
        """fq-report one incident; returns (incident id, epoch ms when the
        acknowledgement was read)."""
        argv = [self.world.report_bin, "--node", platform, "--key-file", self.world.key_of(platform),
                "--url", self.intake, "--json", "--category", category, "--severity", severity,
                "--risk", risk, "--channel", "hotline", "--place", place, "--title", title]
        if external_ref:
            argv += ["--external-ref", external_ref]
        for k, v in fields.items():
            argv += ["--" + k.replace("_", "-"), str(v)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        acked_ms = time.time() * 1000
        if r.returncode != 0:
            raise Failure(f"fq-report failed ({r.returncode}): {r.stderr.strip()} {r.stdout.strip()}")
        reply = json.loads(r.stdout.strip().splitlines()[-1])
        return int(reply["incident_id"]), acked_ms

    def watch_terminal(self, node):
        """A real fq-terminal watching as NODE (watch --json) in the
        background; its journal lines are collected by a thread."""
        return TerminalWatch(self, node)


class TerminalWatch:
    def __init__(self, server, node):
        state = os.path.join(server.world.work, "terminal-" + node)
        os.makedirs(state, exist_ok=True)
        self.items = []
        self.err_path = os.path.join(server.world.work, f"terminal-{node}.err")
        self.proc = server.world.spawn(
            [server.world.terminal_bin, "--node", node, "--key-file", server.world.key_of(node),
             "--url", server.terminals, "--state-dir", state, "watch", "--json"],
            stdout=subprocess.PIPE, stderr=open(self.err_path, "ab"), text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.items.append(json.loads(line))
            except ValueError:
                pass

    def wait_item(self, incident_id, kind="assignment", timeout=WAIT_S):
        def found():
            if self.proc.poll() is not None:
                raise Failure(f"fq-terminal exited ({self.proc.returncode}): "
                              f"{open(self.err_path, encoding='utf-8', errors='replace').read()[-500:]}")
            return next((i for i in self.items
                         if int(i.get("incident", 0)) == incident_id and i.get("kind") == kind), None)
        return wait_until(found, f"the terminal receives the {kind} of incident {incident_id}", timeout)


# ---- the HTTP API, outside the browser ----


class Api:
    """A minimal client of /api/v1 with its own cookie and CSRF token
    (http.client: nothing between the test and the server)."""

    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None

    def _conn(self):
        if self.server.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.server.http_port, timeout=WAIT_S,
                                               context=ssl._create_unverified_context())
        return http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=WAIT_S)

    def request(self, method, path, body=None, csrf=True, headers=None):
        """Returns (status, headers dict (lowercase names), parsed JSON or text)."""
        h = {"Accept": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c = self._conn()
        try:
            c.request(method, path, body=data, headers=h)
            resp = c.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            hdrs["set-cookie-all"] = resp.msg.get_all("Set-Cookie") or []
        finally:
            c.close()
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, hdrs, parsed

    def login(self, account, password):
        status, hdrs, body = self.request("POST", "/api/v1/login",
                                          {"account": account, "password": password})
        if status == 200:
            for c in hdrs["set-cookie-all"]:
                if c.startswith("fq_session="):
                    self.cookie = c.split(";", 1)[0]
            self.csrf = body.get("csrf")
        return status, hdrs, body

    def command(self, incident_id, kind, reason="browser test", csrf=True, **fields):
        body = {"request_id": uuid.uuid4().hex, "kind": kind, "reason": reason}
        body.update(fields)
        return self.request("POST", f"/api/v1/incidents/{incident_id}/commands", body, csrf=csrf)


# ---- the browser ----


def chrome_options(size, user_data_dir, extra_args=()):
    if isinstance(extra_args, str):  # one flag given without a tuple
        extra_args = (extra_args,)
    from selenium.webdriver.chrome.options import Options
    o = Options()
    o.binary_location = os.environ.get("FQ_CHROMIUM", "/usr/bin/chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions",
              "--lang=zh-CN", f"--window-size={size[0]},{size[1]}",
              f"--user-data-dir={user_data_dir}", *extra_args):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    o.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    return o


class Browser:
    """Headless Chromium at a given viewport size, with its console log kept
    (every entry read is remembered, so errors are never lost between
    reads) and screenshots saved as artifacts."""

    def __init__(self, world, size=WALL, extra_args=(), mobile=False):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.world = world
        self.profile = tempfile.mkdtemp(prefix="fq-chromium-", dir=world.work)
        service = Service(os.environ.get("FQ_CHROMEDRIVER", "/usr/bin/chromedriver"),
                          log_path=os.path.join(world.work, "chromedriver.log"))
        t0 = time.monotonic()
        self.driver = webdriver.Chrome(service=service,
                                       options=chrome_options(size, self.profile, extra_args))
        self.driver.set_page_load_timeout(WAIT_S * 2)
        self.driver.set_script_timeout(WAIT_S)
        self.console = []
        self.mobile = mobile
        world.browsers.append(self)
        if mobile:
            # A phone: touch, a phone's user agent, the screen's pixel ratio of 2.
            self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled",
                                        {"enabled": True, "maxTouchPoints": 5})
            self.driver.execute_cdp_cmd("Emulation.setUserAgentOverride",
                                        {"userAgent": MOBILE_UA, "platform": "Android"})
        self.resize(size)
        log(f"chromium started in {time.monotonic() - t0:.1f} s")

    def resize(self, size):
        """The viewport exactly size (the window's frame does not count)."""
        self.size = size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": size[0], "height": size[1],
                                     "deviceScaleFactor": 2 if self.mobile else 1,
                                     "mobile": self.mobile})

    def grant(self, origin, permissions):
        """Permissions a person would grant the page (geolocation, notifications)."""
        self.driver.execute_cdp_cmd("Browser.grantPermissions",
                                    {"origin": origin, "permissions": list(permissions)})

    def set_position(self, lat, lng, accuracy=12):
        """The position the Geolocation API gives the page."""
        self.driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                                    {"latitude": lat, "longitude": lng, "accuracy": accuracy})

    def screenshot(self, name):
        path = os.path.join(self.world.artifacts, "screenshots",
                            f"{name}-{self.size[0]}x{self.size[1]}.png")
        check(self.driver.save_screenshot(path), f"screenshot {path} not saved")
        return path

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def wait(self, cond, what, timeout=WAIT_S):
        return wait_until(lambda: cond(self), what, timeout)

    def wait_js(self, script, what, timeout=WAIT_S):
        return wait_until(lambda: self.js(script), what, timeout)

    def sign_in(self, url, account, password, signed_in_js, what, shot=None):
        """Signs in through the sign-in form of the page at `url` (the
        console's or the phone's: one form) and waits for `signed_in_js`;
        `shot` names a screenshot of the form first."""
        d = self.driver
        d.get(url)
        self.wait_js("return !!document.querySelector('form.signin input[name=account]')",
                     f"the sign-in form of {url}")
        if shot:
            self.screenshot(shot)
        d.find_element("css selector", "form.signin input[name=account]").send_keys(account)
        d.find_element("css selector", "form.signin input[name=password]").send_keys(password)
        d.find_element("css selector", "form.signin button[type=submit]").click()
        self.wait_js(signed_in_js, what)

    # Each visible table's box, and every box around it that clips or scrolls
    # (overflow-x not visible): wider content than the box (scrollWidth over
    # clientWidth) is a table that needs a sideways scroll, or is cut.
    OVERFLOW_JS = """
    const out = [];
    const seen = new Set();
    const name = (e) => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    for (const table of document.querySelectorAll(arguments[0])) {
        if (!table.offsetParent) continue;
        for (let e = table; e && e !== document.documentElement; e = e.parentElement) {
            if (seen.has(e)) continue;
            const ox = getComputedStyle(e).overflowX;
            if (e !== table && ox === 'visible') continue;
            seen.add(e);
            if (e.scrollWidth > e.clientWidth + 1)
                out.push(`${name(e)} (around ${name(table)}): ${e.scrollWidth} px wide in ${e.clientWidth}`);
        }
    }
    return out;
    """

    def assert_tables_fit(self, where, selector="table"):
        """No table shown (selector) is wider than a box that holds it: nothing
        to scroll sideways, nothing cut (docs/web-console.md, "Screens")."""
        over = self.js(self.OVERFLOW_JS, selector)
        check(not over, f"tables overflow at {self.size[0]}x{self.size[1]} {where}: " + "; ".join(over))
        return over

    def read_console(self):
        self.console += self.driver.get_log("browser")
        return self.console

    def console_errors(self):
        return [e for e in self.read_console() if e.get("level") == "SEVERE"]

    def assert_no_console_errors(self, where, allow=()):
        """allow: substrings of errors expected here (a failed request while
        the server is down); each other SEVERE entry since the last check
        fails the test."""
        every = self.console_errors()
        errors = [e for e in every[getattr(self, "_checked", 0):]
                  if not any(a in e.get("message", "") for a in allow)]
        self._checked = len(every)
        check(not errors, f"console errors {where}: " +
              "; ".join(e.get("message", "")[:300] for e in errors))

    def dump(self):
        """On a failure: what the browser shows, and its console."""
        try:
            log(f"failure screenshot: {self.screenshot('FAILED')} at {self.driver.current_url}")
            for e in self.read_console():
                log(f"browser console: {e.get('level')} {e.get('message', '')[:300]}")
            log("page text: " + (self.js("return document.body.innerText") or "")[:600].replace("\n", " | "))
        except Exception as exc:
            log(f"could not read the browser: {exc!r}")

    def close(self):
        if self in self.world.browsers:
            self.world.browsers.remove(self)
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def self_signed_cert(world):
    """A self-signed certificate for 127.0.0.1 and localhost (openssl's
    command line), as the demo makes one. Returns (cert, key) paths."""
    cert = os.path.join(world.work, "tls.crt")
    key = os.path.join(world.work, "tls.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def run(main):
    """Runs a test's main(world) with cleanup; exit 0 on a pass, 1 on a
    failure (with its message)."""
    world = None
    rc = 0
    t0 = time.monotonic()
    try:
        world = World()
        main(world)
    except Failure as f:
        log(f"FAIL: {f}")
        rc = 1
    except Exception:
        import traceback
        traceback.print_exc()
        rc = 1
    finally:
        if world is not None:
            try:
                world.close()
            except Failure as f:
                log(f"FAIL: {f}")
                rc = 1
    log(("PASS" if rc == 0 else "FAILED") + f" in {time.monotonic() - t0:.1f} s")
    cpu_log = os.environ.get("FQ_TEST_CPU_LOG")
    if cpu_log:  # as tests/integration/lib.sh's cpu_log
        import resource
        cpu = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                    resource.getrusage(resource.RUSAGE_CHILDREN)))
        with open(cpu_log, "a") as f:
            f.write("%s %d %d %.2f\n" % (os.environ.get("FQ_TEST_NAME", "browser"), rc,
                                        time.monotonic() - t0, cpu))
    sys.exit(rc)

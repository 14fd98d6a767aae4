"""The admin web page (issue 10, docs/http.md "The admin page"): a login for accounts flagged
admin, a session cookie, a CSRF token on every POST, the queue with its actions, driven with
plain HTTP (http.client) here and in Debian's Chromium through Playwright
(test_admin_page_in_chromium)."""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import PASSWORD, free_port
from helpers import make_msg, wait_until

ADMIN = "alice@example.test"
PLAYWRIGHT_DIR = os.environ.get("YUBIN_PLAYWRIGHT_DIR", "/opt/yubin-playwright/node_modules")
CHROMIUM = "/usr/bin/chromium"
HERE = os.path.dirname(os.path.abspath(__file__))


class Web:
    """One browser's worth of HTTP: a cookie jar and the CSRF token of the last page."""

    def __init__(self, port, tls=False):
        self.port, self.tls = port, tls
        self.cookies = {}
        self.csrf = None
        self.set_cookies = []

    def request(self, method, path, form=None):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        self.set_cookies = r.headers.get_all("Set-Cookie") or []
        for sc in self.set_cookies:
            name, value = sc.split(";")[0].split("=", 1)
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
        if m:
            self.csrf = m.group(1)
        c.close()
        return r.status, r.headers, text

    def get(self, path="/admin"):
        return self.request("GET", path)

    def post(self, path, form):
        return self.request("POST", path, form)

    def login(self, address=ADMIN, password=PASSWORD):
        status, _, page = self.get()
        assert status == 200 and 'action="/admin/login"' in page, page
        return self.post("/admin/login", {"csrf": self.csrf, "address": address,
                                          "password": password})

    def action(self, action, qid=None, csrf="session"):
        form = {"action": action}
        if qid:
            form["id"] = qid
        if csrf == "session":
            form["csrf"] = self.csrf
        elif csrf is not None:
            form["csrf"] = csrf
        return self.post("/admin/queue", form)


def metric(srv, name):
    c = http.client.HTTPConnection("127.0.0.1", srv.metrics_port, timeout=20)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else 0.0


def make_admin_srv(yubin_factory, **extra):
    """A server with the admin page on loopback http_listen, alice flagged admin; mail for
    remote.test is deferred (the relayhost does not answer; the next retry is an hour
    away)."""
    port, metrics_port, dead = free_port(), free_port(), free_port()
    config = {
        "http_listen": "127.0.0.1:%d" % port,
        "metrics_listen": "127.0.0.1:%d" % metrics_port,
        "relayhost": "[127.0.0.1]:%d" % dead,
        "mynetworks": "127.0.0.0/8",
        "minimal_backoff_time": "1h",
        "maximal_backoff_time": "2h",
        "auth_failure_delay": "0",
    }
    config.update(extra)
    srv = yubin_factory(config=config)
    srv.http_port, srv.metrics_port = port, metrics_port
    srv.cli("user", "admin", ADMIN, "yes")
    return srv


@pytest.fixture
def admin_srv(yubin_factory):
    return make_admin_srv(yubin_factory)


def queue_deferred(srv, subject="waiting"):
    with srv.smtp() as s:
        s.sendmail("alice@example.test", ["someone@remote.test"], make_msg(subject=subject))
    assert wait_until(lambda: "status=deferred" in srv.log(), timeout=20), srv.log_tail()
    out = srv.cli("queue", "list").stdout.decode()
    qids = re.findall(r"^([0-9A-F]{16}) ", out, re.M)
    assert len(qids) >= 1, out
    return qids[-1]


def attempts(web, qid):
    """The attempts the page shows for qid's recipient."""
    _, _, page = web.get()
    m = re.search(r'<tr id="q-%s">.*?(\d+) attempts?<' % qid, page, re.S)
    return int(m.group(1)) if m else None


def queue_list(srv):
    return srv.cli("queue", "list").stdout.decode()


def test_user_admin_flag_cli(admin_srv):
    out = admin_srv.cli("user", "list").stdout.decode()
    assert re.search(r"^alice@example\.test .* admin$", out, re.M), out
    assert not re.search(r"^bob@example\.test .* admin$", out, re.M), out
    admin_srv.cli("user", "add", "erin@example.test", "--admin", input=b"pw-carol-1\n")
    admin_srv.cli("user", "admin", "alice@example.test", "no")
    out = admin_srv.cli("user", "list").stdout.decode()
    assert re.search(r"^erin@example\.test .* admin$", out, re.M), out
    assert not re.search(r"^alice@example\.test .* admin$", out, re.M), out
    assert admin_srv.cli("user", "admin", "nobody@example.test", "yes",
                         check=False).returncode != 0


def test_login_wrong_password_makes_no_session(admin_srv):
    web = Web(admin_srv.http_port)
    failures = metric(admin_srv, "yubin_login_failures_total")
    status, _, page = web.login(password="wrong-password")
    assert status == 403 and "Wrong address or password" in page
    assert "yubin_admin" not in web.cookies
    assert not any(c.startswith("yubin_admin=") for c in web.set_cookies)
    assert metric(admin_srv, "yubin_login_failures_total") == failures + 1
    status, _, page = web.get()
    assert 'action="/admin/login"' in page and 'id="queue-table"' not in page
    # an address with a line break never reaches the log as two lines
    status, _, _ = web.login(address="x@example.test\nyubin error: forged")
    assert status == 403
    assert "forged" not in admin_srv.log()


def test_login_bans_apply(yubin_factory):
    """The login bans of the mail protocols (auth_ban_threshold) hold for the admin page:
    after the failures, even the right password is refused."""
    srv = make_admin_srv(yubin_factory, auth_ban_threshold="2", auth_ban_window="600",
                         auth_ban_time="600")
    web = Web(srv.http_port)
    for _ in range(2):
        assert web.login(password="wrong-password")[0] == 403
    status, _, page = web.login()
    assert status == 403 and "refused for now" in page
    assert "yubin_admin" not in web.cookies
    assert "127.0.0.1" in srv.cli("ban", "list").stdout.decode()


def test_non_admin_account_is_refused(admin_srv):
    web = Web(admin_srv.http_port)
    status, _, page = web.login(address="bob@example.test")
    assert status == 403 and "may not use the admin page" in page
    assert "yubin_admin" not in web.cookies
    status, _, page = web.get()
    assert 'id="queue-table"' not in page


def test_login_session_cookie_and_logout(admin_srv):
    web = Web(admin_srv.http_port)
    status, headers, _ = web.login()
    assert status == 303 and headers["Location"] == "/admin"
    sc = [c for c in web.set_cookies if c.startswith("yubin_admin=")]
    assert len(sc) == 1, web.set_cookies
    assert re.match(r"yubin_admin=[0-9a-f]{64};", sc[0])
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/admin"):
        assert attr in sc[0]
    assert "Secure" not in sc[0]  # plain HTTP from loopback
    status, headers, page = web.get()
    assert status == 200 and '<span id="who">alice@example.test</span>' in page
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    for section in ('id="overview"', 'id="queue"', 'id="recent"', 'id="dns"',
                    'id="accounts"', 'id="sessions"', 'id="listeners"', 'id="certificate"'):
        assert section in page, section
    status, _, _ = web.post("/admin/logout", {"csrf": web.csrf})
    assert status == 303 and "yubin_admin" not in web.cookies
    _, _, page = web.get()
    assert 'action="/admin/login"' in page


def test_post_without_csrf_is_refused(admin_srv):
    qid = queue_deferred(admin_srv)
    web = Web(admin_srv.http_port)
    assert web.login()[0] == 303
    web.get()
    assert web.action("hold", qid, csrf=None)[0] == 403
    assert web.action("hold", qid, csrf="0" * 64)[0] == 403
    assert web.post("/admin/logout", {})[0] == 403
    assert "(held)" not in queue_list(admin_srv)
    # the login form's own token: a login POST without it does not log in
    other = Web(admin_srv.http_port)
    other.get()
    status, _, _ = other.post("/admin/login", {"address": ADMIN, "password": PASSWORD})
    assert status == 403 and "yubin_admin" not in other.cookies
    # with the token all goes through
    assert web.action("hold", qid)[0] == 303
    assert "(held)" in queue_list(admin_srv)


def test_session_expires_when_idle(yubin_factory):
    admin_srv = make_admin_srv(yubin_factory, admin_session_timeout="3")
    web = Web(admin_srv.http_port)
    assert web.login()[0] == 303
    _, _, page = web.get()
    assert 'id="queue-table"' in page
    time.sleep(4.5)  # admin_session_timeout = 3
    _, _, page = web.get()
    assert 'action="/admin/login"' in page and 'id="queue-table"' not in page
    web.cookies.pop("yubin_admin_login", None)
    assert web.action("flush")[0] == 403


def test_queue_actions(admin_srv):
    qid = queue_deferred(admin_srv)
    web = Web(admin_srv.http_port)
    assert web.login()[0] == 303
    _, _, page = web.get()
    row = re.search(r'<tr id="q-%s">.*?</tr>' % qid, page, re.S)
    assert row, page
    assert "someone@remote.test" in row.group(0) and "1 attempt" in row.group(0)
    assert "queued" in row.group(0)
    # hold
    status, headers, _ = web.action("hold", qid)
    assert status == 303
    assert "(held)" in queue_list(admin_srv)
    _, _, page = web.get()
    assert re.search(r'<tr id="q-%s">.*?held.*?Release' % qid, page, re.S)
    # release: a released message goes at once
    before = attempts(web, qid)
    assert web.action("release", qid)[0] == 303
    assert "(held)" not in queue_list(admin_srv)
    assert wait_until(lambda: attempts(web, qid) == before + 1, timeout=20)
    # flush: the recipient is tried again at once (the backoff was an hour)
    time.sleep(2.5)  # past the scheduler's tick that saw the retry as not due
    before = attempts(web, qid)
    assert web.action("flush")[0] == 303
    assert wait_until(lambda: attempts(web, qid) == before + 1, timeout=20), \
        (before, attempts(web, qid))
    _, _, page = web.get()
    # the recent events show the deferrals
    assert re.search(r'<td class="error">deferred</td><td>%s</td>' % qid, page)
    # delete
    assert web.action("delete", qid)[0] == 303
    assert qid not in queue_list(admin_srv)
    _, _, page = web.get()
    assert 'id="q-%s"' % qid not in page and 'id="queue-empty"' in page
    # a message that is gone, and a malformed id
    status, headers, _ = web.action("hold", qid)
    assert status == 303 and "gone=1" in headers["Location"]
    assert web.action("hold", "../etc")[0] == 400
    assert web.action("explode", qid)[0] == 400


def test_values_are_html_escaped(admin_srv):
    """A sender with markup in its (quoted) local part shows as text."""
    with admin_srv.smtp() as s:
        s.sendmail('"<b>x</b>&"@client.example.test', ["someone@remote.test"], make_msg())
    assert wait_until(lambda: "status=deferred" in admin_srv.log(), timeout=20)
    web = Web(admin_srv.http_port)
    assert web.login()[0] == 303
    _, _, page = web.get()
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in page


def test_https_cookie_is_secure(yubin_factory):
    port = free_port()
    srv = yubin_factory(config={"https_listen": "127.0.0.1:%d" % port})
    srv.cli("user", "admin", ADMIN, "yes")
    web = Web(port, tls=True)
    assert web.login()[0] == 303
    sc = [c for c in web.set_cookies if c.startswith("yubin_admin=")]
    assert sc and "Secure" in sc[0]
    _, _, page = web.get()
    assert "expires" in page.split('id="certificate"')[1][:400]


class SlowNxdomainDns:
    """A UDP DNS server that answers NXDOMAIN to everything, the first query after a delay
    (under c-ares' 2 s timeout, so it is not asked again)."""

    def __init__(self, first_delay=1.8):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.first_delay = first_delay
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        first = True
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                q, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(q) < 12:
                continue
            if first:
                time.sleep(self.first_delay)
                first = False
            # the query with QR, RA and rcode 3 (NXDOMAIN); the question section kept
            flags = 0x8000 | (q[2] << 8 & 0x0100) | 0x0080 | 3
            r = q[:2] + flags.to_bytes(2, "big") + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
            self.sock.sendto(r, peer)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def test_dnscheck_runs_off_the_loop(yubin_factory):
    """The DNS check runs on a worker thread: the page answers at once while the check
    waits for the resolver, and the report shows when it is done."""
    dns = SlowNxdomainDns()
    try:
        admin_srv = make_admin_srv(yubin_factory, dns_resolvers=dns.addr)
        web = Web(admin_srv.http_port)
        assert web.login()[0] == 303
        web.get()
        assert web.post("/admin/dnscheck", {"csrf": web.csrf})[0] == 303
        t0 = time.monotonic()
        status, _, page = web.get()
        took = time.monotonic() - t0
        # on the loop the check would hold this answer for the first 1.8 s at least
        assert status == 200 and 'id="dns-running"' in page and took < 1.2, took
        assert wait_until(lambda: 'id="dns-result"' in web.get()[2], timeout=60)
        _, _, page = web.get()
        assert re.search(r"MISSING +MX", page) or "MISSING" in page, page
    finally:
        dns.close()


@pytest.mark.skipif(shutil.which("node") is None, reason="no node")
def test_admin_page_in_chromium(admin_srv, tmp_path):
    """Log in, see the deferred message in the queue, press flush, see the new attempt,
    take a screenshot, log out: in Debian's Chromium, driven by playwright-core."""
    assert os.path.exists(CHROMIUM), "chromium missing: run scripts/deps.sh test"
    assert os.path.isdir(os.path.join(PLAYWRIGHT_DIR, "playwright-core")), \
        "playwright-core missing: run scripts/deps.sh test"
    qid = queue_deferred(admin_srv)
    shot = str(tmp_path / "admin.png")
    env = dict(os.environ, NODE_PATH=PLAYWRIGHT_DIR)
    p = subprocess.run(["node", os.path.join(HERE, "admin_web_chromium.js"),
                        "http://127.0.0.1:%d/admin" % admin_srv.http_port, ADMIN, PASSWORD,
                        qid, shot, CHROMIUM],
                       capture_output=True, timeout=150, env=env)
    out = p.stdout.decode()
    assert p.returncode == 0, out + p.stderr.decode()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["who"] == ADMIN
    assert "1 attempt" in result["before"]
    assert "2 attempts" in result["after"]
    assert result["logged_out"]
    with open(shot, "rb") as f:
        png = f.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000

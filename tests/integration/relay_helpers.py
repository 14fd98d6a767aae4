"""Helpers for the outbound-mail (relay) tests: a private DNS server (dnsmasq) with MX
records for the test domains, fake SMTP servers with scripted replies (Python's
socketserver), yubin servers bound to other loopback addresses (127.0.0.2, 127.0.0.3...), and
queue inspection through `yubin queue list` and the queue index."""
import os
import socket
import socketserver
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import free_port  # noqa: F401  (re-exported for the tests)
from helpers import wait_until

DNSMASQ = "/usr/sbin/dnsmasq"


def free_port_on(addrs):
    """A TCP port free on every address in addrs (so two servers can share it)."""
    return free_port(tuple(addrs))


def free_udp_port():
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq binds both)."""
    return free_port(udp=True)


class Dnsmasq:
    """dnsmasq on 127.0.0.1:port answering only from its command line: mx is a list of
    (domain, host, preference), hosts a list of (name, address); everything else NXDOMAIN.
    port: a given one (to restart it with other records where a server expects it)."""

    def __init__(self, workdir, mx=(), hosts=(), extra=(), port=None):
        self.port = port or free_udp_port()
        self.log_path = os.path.join(workdir, "dnsmasq.log")
        args = [DNSMASQ, "--no-daemon", "--port=%d" % self.port, "--listen-address=127.0.0.1",
                "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                "--pid-file=", "--log-facility=" + self.log_path]
        for domain, host, pref in mx:
            args.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        for name, addr in hosts:
            args.append("--host-record=%s,%s" % (name, addr))
        args += list(extra)
        # the test domains are ours alone: answer NXDOMAIN for anything else under .test
        args.append("--local=/test/")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        assert wait_until(self._answers, timeout=10), "dnsmasq did not start"

    def _answers(self):
        if self.proc.poll() is not None:
            raise AssertionError("dnsmasq exited: %s" % self.proc.stderr.read().decode())
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test\x00\x00\x01\x00\x01"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, ("127.0.0.1", self.port))
            s.recvfrom(512)
            return True
        except OSError:
            return False
        finally:
            s.close()

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def default_data_template():
    """The relay tests make every server with its own users: no shared template needed
    (overrides conftest's session fixture for the modules that import this one)."""
    return None


@pytest.fixture
def dns_factory(tmp_path):
    servers = []

    def make(**kw):
        d = Dnsmasq(str(tmp_path), **kw)
        servers.append(d)
        return d

    yield make
    for d in servers:
        d.stop()


class FakeSMTP:
    """A tiny SMTP server on (host, port) in a thread. script(session, command) -> reply
    line(s) decides each reply; the default accepts everything. Records every transaction
    as dict(mail=..., rcpts=[...], data=bytes) in self.messages, and every command line in
    self.commands."""

    def __init__(self, host, port, script=None, ehlo=("PIPELINING", "8BITMIME", "SIZE 0"),
                 greeting="220 fake.test ESMTP"):
        self.host, self.port = host, port
        self.script = script
        self.ehlo_keywords = list(ehlo)
        self.greeting = greeting
        self.messages = []
        self.commands = []
        self.connections = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer._session(self)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            # socketserver's default listen backlog is 5: yubin opens up to 20 connections
            # per destination at once (e.g. a full queue after a restart), and a SYN that
            # overflows the backlog leaves the client "connected" to a server that never
            # greets it (it waits the RFC 5321 greeting timeout, 5 minutes)
            request_queue_size = 128

        self.server = Server((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _reply(self, wfile, text):
        if not text.endswith("\r\n"):
            text += "\r\n"
        wfile.write(text.encode())
        wfile.flush()

    def _session(self, h):
        with self.lock:
            self.connections += 1
        sess = {"mail": None, "rcpts": [], "n": self.connections}
        self._reply(h.wfile, self.greeting)
        if not self.greeting.startswith("220"):
            return
        while True:
            line = h.rfile.readline(65536)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                self.commands.append(cmd)
            verb = cmd.split(" ", 1)[0].split(":", 1)[0].upper()
            reply = self.script(sess, cmd) if self.script else None
            if verb == "EHLO":
                reply = reply or "250-fake.test\r\n" + "".join(
                    "250-%s\r\n" % k for k in self.ehlo_keywords) + "250 HELP"
            elif verb == "MAIL":
                sess["mail"] = cmd[10:].split(">", 1)[0].lstrip("<")
                sess["rcpts"] = []
            elif verb == "RCPT":
                if reply is None or reply.startswith("2"):
                    sess["rcpts"].append(cmd[8:].split(">", 1)[0].lstrip("<"))
            elif verb == "DATA":
                if not sess["rcpts"]:
                    self._reply(h.wfile, "554 5.5.1 no valid recipients")
                    continue
                self._reply(h.wfile, "354 go ahead")
                data = b""
                while True:
                    dl = h.rfile.readline(1 << 20)
                    if not dl or dl == b".\r\n":
                        break
                    if dl.startswith(b"."):
                        dl = dl[1:]
                    data += dl
                sess["data"] = data
                reply = self.script(sess, ".") if self.script else None
                if reply is None or reply.startswith("2"):
                    with self.lock:
                        self.messages.append({"mail": sess["mail"], "rcpts": list(sess["rcpts"]),
                                              "data": data})
                self._reply(h.wfile, reply or "250 2.0.0 Ok: queued")
                continue
            elif verb == "QUIT":
                self._reply(h.wfile, "221 2.0.0 Bye")
                return
            self._reply(h.wfile, reply or "250 2.0.0 Ok")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_smtp_factory():
    fakes = []

    def make(host, port, **kw):
        f = FakeSMTP(host, port, **kw)
        fakes.append(f)
        return f

    yield make
    for f in fakes:
        f.stop()


def make_domain_server(yubin_factory, ip, domain, smtp_port, dns, users, extra=None,
                       start=True):
    """A yubin for domain listening on ip (smtp on smtp_port, submission on a free port),
    sending outbound mail to smtp_delivery_port = smtp_port through dns."""
    sub_port = free_port_on([ip])
    subs_port = free_port_on([ip])
    config = {
        "myhostname": "mx." + domain,
        "mydomains": domain,
        "smtp_listen": "%s:%d" % (ip, smtp_port),
        "submission_listen": "%s:%d" % (ip, sub_port),
        "submissions_listen": "%s:%d" % (ip, subs_port),
        "smtp_delivery_port": str(smtp_port),
        "dns_resolvers": dns.resolver,
        "mynetworks": "",
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s",
    }
    config.update(extra or {})
    s = yubin_factory(config=config, users=users, aliases={}, start=False)
    s.host = ip
    s.smtp_port = smtp_port
    s.submission_port = sub_port
    s.submissions_port = subs_port
    if start:
        start_ready(s)
    return s


def start_ready(server, timeout=30):
    """start(), then wait for "yubin ready" in the log: signals sent earlier (while it makes
    its certificate) would kill it uncleanly."""
    n = server.log().count("yubin ready")
    server.start()
    assert wait_until(lambda: server.log().count("yubin ready") > n, timeout=timeout), \
        server.log_tail()
    return server


def queue_rows(server):
    """{qid: [(address, state, attempts, last_error), ...]} from the queue index."""
    path = os.path.join(server.data_dir, "queue", "queue.db")
    if not os.path.exists(path):
        return {}
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        out = {}
        for qid, addr, state, attempts, err in db.execute(
                "SELECT qid, address, state, attempts, last_error FROM rcpt ORDER BY qid, idx"):
            out.setdefault(qid, []).append((addr, state, attempts, err))
        return out
    finally:
        db.close()


def wait_queue_empty(server, timeout=20):
    return wait_until(lambda: queue_rows(server) == {}, timeout=timeout, step=0.1)


def wait_progress(done, progress, stall=60, cap=300, step=0.2):
    """Waits until done() is true, for as long as progress() (any comparable value, e.g. a
    count of delivered messages) keeps changing: gives up after `stall` seconds without a
    change or `cap` seconds in all. For waits whose length depends on how loaded the machine
    is (a full test run, a sanitizer build) without letting a real hang run forever."""
    start = last_change = time.monotonic()
    last = progress()
    while not done():
        now = time.monotonic()
        if now - last_change > stall or now - start > cap:
            return done()
        time.sleep(step)
        cur = progress()
        if cur != last:
            last, last_change = cur, time.monotonic()
    return True


def wait_log(server, text, timeout=20):
    return wait_until(lambda: text in server.log(), timeout=timeout, step=0.1)


def sendmail(server, args, msg, check=True, env=None):
    """Runs `yubin -c CONF sendmail ARGS` with msg on stdin; returns the CompletedProcess."""
    from conftest import YUBIN_BIN
    p = subprocess.run([YUBIN_BIN, "-c", server.config_path, "sendmail"] + list(args),
                       input=msg, capture_output=True, timeout=30, env=env)
    if check:
        assert p.returncode == 0, "sendmail failed (%d): %s" % (p.returncode, p.stderr)
    return p


def poll(pred, timeout=20, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()

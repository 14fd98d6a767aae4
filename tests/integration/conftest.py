"""Fixtures that run a real `yubin serve` on free loopback ports with a temporary data
directory: `yubin_factory(config=..., users=..., aliases=...)` makes (and starts) as many servers
as a test needs and stops every one at teardown, failing the test if a server died on its own,
did not stop cleanly on SIGTERM, or logged a sanitizer report."""
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from smtpraw import RawSMTP, tls_client_context  # noqa: E402
from storepeek import StorePeek  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YUBIN_BIN = os.environ.get("YUBIN_BIN", os.path.join(REPO, "build", "yubin"))
DOMAIN = "example.test"
HOSTNAME = "mx.example.test"
PASSWORD = "secret-Passw0rd"
DEFAULT_USERS = ["alice@example.test", "bob@example.test", "carol@example.test",
                 "dave@example.test"]
DEFAULT_ALIASES = {"team@example.test": ["alice@example.test", "bob@example.test"]}
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error",
                   "ThreadSanitizer", "UndefinedBehaviorSanitizer")
START_TIMEOUT = float(os.environ.get("YUBIN_START_TIMEOUT", "20"))


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


_EPHEMERAL = _ephemeral_range()
_PORT_RNG = random.Random(os.getpid())
_ports_given = set()


def port_is_free(port, addrs=("127.0.0.1",), udp=False):
    """Whether TCP (and UDP, if udp) port can be bound on every address of addrs now."""
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    socks = []
    try:
        for a in addrs:
            for k in kinds:
                s = socket.socket(socket.AF_INET, k)
                socks.append(s)
                s.bind((a, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(addrs=("127.0.0.1",), udp=False):
    """A port to listen on later, free now on every address of addrs. Taken outside the
    kernel's ephemeral range: a port the kernel handed out by bind(0) may meanwhile become
    the local port of an outgoing connection (any test's client), and the server's own bind
    then fails with EADDRINUSE; and never the same port twice in one test run."""
    lo, hi = 10000, 30000
    if _EPHEMERAL[0] <= hi and _EPHEMERAL[1] >= lo:  # an unusual range: stay below it
        lo, hi = 1024 + 1000, max(2100, _EPHEMERAL[0] - 1)
    for _ in range(1000):
        port = _PORT_RNG.randint(lo, hi)
        if port in _ports_given or not port_is_free(port, addrs, udp):
            continue
        _ports_given.add(port)
        return port
    raise RuntimeError("no free port")


class Server:
    def __init__(self, workdir, config=None, users=None, aliases=None, template=None):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "yubin.conf")
        self.log_path = os.path.join(workdir, "yubin.log")
        self.host = "127.0.0.1"
        self.smtp_port = free_port()
        self.submission_port = free_port()
        self.submissions_port = free_port()
        self.settings = {
            "myhostname": HOSTNAME,
            "mydomains": DOMAIN,
            "data_directory": self.data_dir,
            "smtp_listen": "127.0.0.1:%d" % self.smtp_port,
            "submission_listen": "127.0.0.1:%d" % self.submission_port,
            "submissions_listen": "127.0.0.1:%d" % self.submissions_port,
            "imap_listen": "",
            "imaps_listen": "",
            "pop3_listen": "",
            "pop3s_listen": "",
            "metrics_listen": "",
            "message_size_limit": "10485760",
            "mynetworks": "",
            "run_as_user": "",
            # SPF/DKIM/DMARC need DNS (test_mailauth_inbound.py serves it and turns this on)
            "mailauth_checks": "no",
            # login bans off (tests fail logins on purpose); test_guards.py turns them on
            "auth_ban_threshold": "0",
        }
        self.settings.update(config or {})
        self.proc = None
        self.env = None  # the server's environment (None: this process's)
        self.log_file = None
        self.exit_codes = []
        self.problems = []
        self.store = StorePeek(self.data_dir)
        self.write_config()
        if template:
            # a data directory with the default accounts, made once per run (saves the
            # password hashing and account creation in every test)
            shutil.copytree(template, self.data_dir, symlinks=True)
            return
        for u in (DEFAULT_USERS if users is None else users):
            self.add_user(u)
        for alias, targets in (DEFAULT_ALIASES if aliases is None else aliases).items():
            self.add_alias(alias, targets)

    # -- configuration and the admin CLI ---------------------------------------------------
    def write_config(self):
        with open(self.config_path, "w") as f:
            for k, v in self.settings.items():
                f.write("%s = %s\n" % (k, v))

    def cli(self, *args, input=None, check=True):
        p = subprocess.run([YUBIN_BIN, "-c", self.config_path] + list(args), input=input,
                           capture_output=True, timeout=60)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        for mark in SANITIZER_MARKS:
            assert mark not in out, "yubin %s: sanitizer report:\n%s" % (" ".join(args), out)
        if check:
            assert p.returncode == 0, "yubin %s failed (%d): %s" % (" ".join(args),
                                                                   p.returncode, out)
        return p

    def add_user(self, address, password=PASSWORD):
        self.cli("user", "add", address, input=(password + "\n").encode())

    def add_alias(self, alias, targets):
        self.cli("alias", "add", alias, ",".join(targets))

    # -- process -----------------------------------------------------------------------
    def ports(self):
        ports = []
        for key in ("smtp_listen", "submission_listen", "submissions_listen"):
            v = self.settings.get(key, "")
            if v:
                ports.append(int(v.rsplit(":", 1)[1]))
        return ports

    def start(self):
        assert self.proc is None
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([YUBIN_BIN, "-c", self.config_path, "serve"],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + START_TIMEOUT
        pending = self.ports()
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError("yubin serve exited with %d at start:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                raise AssertionError("yubin serve not listening on %s after %ss:\n%s"
                                     % (pending, START_TIMEOUT, self.log_tail()))
            port = pending[0]
            try:
                socket.create_connection((self.host, port), timeout=1).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.05)
        # a bound socket completes TCP handshakes before the event loop runs: wait for the
        # greeting too, so the server is really serving (and handles SIGTERM) from here on
        if self.settings.get("smtp_listen"):
            self._wait_greeting(deadline)
        return self

    def _wait_greeting(self, deadline):
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("yubin serve exited with %d at start:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                with RawSMTP(self.host, self.smtp_port,
                             timeout=max(0.5, deadline - time.monotonic())) as c:
                    code = c.reply().code
                    if code == 220:
                        c.cmd("QUIT")
                        return
                    if code in (421, 554):  # a milter that refuses every connection
                        return
            except (OSError, AssertionError, Exception) as e:  # noqa: B014
                if time.monotonic() > deadline:
                    raise AssertionError("no SMTP greeting within %ss (%r):\n%s"
                                         % (START_TIMEOUT, e, self.log_tail()))
                time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s. Records problems (died on its own, unclean exit,
        sanitizer reports) in self.problems and returns the list."""
        if self.proc is None:
            return self.problems
        if self.proc.poll() is not None:
            self.problems.append("yubin serve exited on its own with %d" % self.proc.returncode)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                self.problems.append("yubin serve did not stop within 10 s of SIGTERM")
            else:
                if self.proc.returncode != 0:
                    self.problems.append("yubin serve exited with %d after SIGTERM"
                                         % self.proc.returncode)
        self.exit_codes.append(self.proc.returncode)
        self.proc = None
        self.log_file.close()
        log = self.log()
        for mark in SANITIZER_MARKS:
            if mark in log:
                self.problems.append("server log contains %r" % mark)
        if self.problems:
            self.problems.append("log tail:\n" + self.log_tail(60))
        return self.problems

    def restart(self):
        problems = list(self.stop())
        assert not problems, "\n".join(problems)
        return self.start()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    # -- clients -----------------------------------------------------------------------
    def raw(self, port=None, **kw):
        return RawSMTP(self.host, port or self.smtp_port, **kw)

    def smtp(self, port=None, ehlo=True, timeout=30):
        s = smtplib.SMTP(self.host, port or self.smtp_port, local_hostname="client.example.test",
                         timeout=timeout)
        if ehlo:
            code, _ = s.ehlo()
            assert code == 250
        return s

    def smtp_tls(self, port=None, timeout=30):
        s = smtplib.SMTP_SSL(self.host, port or self.submissions_port,
                             local_hostname="client.example.test", timeout=timeout,
                             context=tls_client_context())
        return s

    # -- the store ---------------------------------------------------------------------
    def messages(self, account, mailbox="INBOX"):
        return self.store.messages(account, mailbox)

    def count(self, account, mailbox="INBOX"):
        return self.store.count(account, mailbox)


@pytest.fixture(scope="session")
def default_data_template(tmp_path_factory):
    """data_directory holding the default accounts and aliases, copied into each server."""
    s = Server(str(tmp_path_factory.mktemp("template")))
    # one start makes the self-signed certificate, which then need not be generated again
    s.start()
    problems = s.stop()
    assert not problems, "\n".join(problems)
    return s.data_dir


@pytest.fixture
def yubin_factory(tmp_path, default_data_template):
    servers = []

    def make(config=None, users=None, aliases=None, start=True):
        template = default_data_template if users is None and aliases is None else None
        s = Server(str(tmp_path / ("srv%d" % len(servers))), config, users, aliases, template)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    problems = []
    for s in servers:
        problems += s.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(yubin_factory):
    return yubin_factory()


def pytest_report_header(config):
    return "yubin binary: %s" % YUBIN_BIN

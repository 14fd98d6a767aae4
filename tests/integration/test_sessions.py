"""The session skeleton shared by SMTP, POP3 and IMAP (issue 12): a shutdown lets the
command in flight finish and answer before the goodbye, idle clients that never log in
are dropped after login_timeout with a goodbye line, and running out of descriptors
does not make the server spin."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port
from test_imap_protocol import USER, Raw



def listeners(extra=None):
    config = {"imap_listen": "127.0.0.1:%d" % free_port(),
              "pop3_listen": "127.0.0.1:%d" % free_port()}
    config.update(extra or {})
    return config


def ports(srv):
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    srv.pop3_port = int(srv.settings["pop3_listen"].rsplit(":", 1)[1])
    return srv


def wait_exit(srv, timeout=15):
    """The server was told to stop by the test: wait for it and account for it as
    Server.stop() would (clean exit, no sanitizer report)."""
    rc = srv.proc.wait(timeout=timeout)
    srv.exit_codes.append(rc)
    srv.proc = None
    srv.log_file.close()
    assert rc == 0, srv.log_tail()
    for mark in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert mark not in srv.log(), srv.log_tail(60)


def test_imap_append_in_flight_at_shutdown_gets_its_ok_then_bye(yubin_factory):
    """IMAP used to send BYE in the middle of an APPEND and close: a message that was
    then stored lost its tagged OK, and the client appended it again (a duplicate). The
    APPEND in flight must finish and be answered; BYE comes after."""
    srv = ports(yubin_factory(config=listeners()))
    c = Raw(srv.imap_port)
    c.login()
    body = b"From: a@remote.test\r\nSubject: slow\r\n\r\n" + b"x" * 20000 + b"\r\n"
    c.send(b"a1 APPEND INBOX {%d}\r\n" % len(body))
    assert c.line().startswith(b"+")
    c.send(body[:1000])  # the command is in flight: part of its literal is here
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the server has seen the signal; the literal is still coming
    c.send(body[1000:] + b"\r\n")
    tagged = c.line()
    assert tagged.startswith(b"a1 OK"), tagged
    assert b"APPEND completed" in tagged
    bye = c.line()
    assert bye.startswith(b"* BYE"), bye
    with pytest.raises((EOFError, ConnectionError)):
        c.line()
    c.close()
    wait_exit(srv)
    assert srv.count(USER) == 1


def test_idle_sessions_at_shutdown_get_their_goodbye(yubin_factory):
    srv = ports(yubin_factory(config=listeners()))
    c = Raw(srv.imap_port)
    p = socket.create_connection(("127.0.0.1", srv.pop3_port), timeout=10)
    pf = p.makefile("rb")
    assert pf.readline().startswith(b"+OK")
    srv.proc.send_signal(signal.SIGTERM)
    assert c.line().startswith(b"* BYE [UNAVAILABLE]")
    assert pf.readline().startswith(b"-ERR [SYS/TEMP]")
    c.close()
    p.close()
    wait_exit(srv)


def test_login_timeout_drops_idle_clients_with_a_goodbye(yubin_factory):
    """Idle clients that have not logged in get login_timeout (here 1 s), not the 30
    minutes of an authenticated IMAP session; the goodbye line (IMAP's autologout BYE,
    RFC 3501 5.4) is sent before the close, not dropped."""
    srv = ports(yubin_factory(config=listeners({"login_timeout": "1"})))
    t0 = time.monotonic()
    idle = Raw(srv.imap_port)
    authed = Raw(srv.imap_port)
    authed.login()
    p = socket.create_connection(("127.0.0.1", srv.pop3_port), timeout=10)
    pf = p.makefile("rb")
    assert pf.readline().startswith(b"+OK")
    bye = idle.line()
    assert bye.startswith(b"* BYE Autologout"), bye
    with pytest.raises((EOFError, ConnectionError)):
        idle.line()
    assert pf.readline().startswith(b"-ERR")
    assert pf.readline() == b""
    elapsed = time.monotonic() - t0
    assert 0.9 < elapsed < 10, elapsed
    # the logged-in session keeps imap_timeout (at least 30 minutes)
    time.sleep(max(0, 2.5 - (time.monotonic() - t0)))
    authed.ok("NOOP")
    authed.ok("LOGOUT")
    idle.close()
    authed.close()
    p.close()
    assert "reason=timeout" in srv.log()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_out_of_descriptors_does_not_spin(yubin_factory):
    """accept() failing with EMFILE used to leave the listener armed: it failed again at
    once, 99% CPU and a log line per try. The listener must rest after EMFILE, and serve
    again once descriptors are free."""
    if not os.path.exists("/usr/bin/prlimit"):
        pytest.skip("needs prlimit (util-linux)")
    srv = ports(yubin_factory(config=listeners()))
    pid = srv.proc.pid
    limit = open_fds(pid) + 8
    # the soft limit only: raising a lowered hard limit again needs CAP_SYS_RESOURCE
    subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%d:" % limit], check=True)
    conns = []
    try:
        for _ in range(40):  # past the limit: the rest wait in the kernel's backlog
            conns.append(socket.create_connection(("127.0.0.1", srv.imap_port), timeout=10))
        time.sleep(0.5)
        log_before = srv.log().count("\n")
        cpu_before = cpu_seconds(pid)
        time.sleep(2)
        cpu = cpu_seconds(pid) - cpu_before
        lines = srv.log().count("\n") - log_before
        # a spinning listener burns the whole 2 s and logs thousands of lines
        assert cpu < 0.6, "server used %.2f s of CPU in 2 s while out of descriptors" % cpu
        assert lines < 40, "%d log lines in 2 s while out of descriptors" % lines
        assert "accept failed" in srv.log()
    finally:
        for c in conns:
            c.close()
    time.sleep(0.5)
    subprocess.run(["prlimit", "--pid", str(pid), "--nofile=4096:"], check=True)
    c = Raw(srv.imap_port, timeout=10)  # served again
    assert c.greeting.startswith(b"* OK")
    c.login()
    c.close()


def test_descriptor_limit_lowers_the_connection_limits(yubin_factory):
    """At start the connection limits are kept below the descriptor limit, with room
    for files and databases, so excess clients get a proper refusal, not EMFILE."""
    config = listeners()
    srv = ports(yubin_factory(config=config, start=False))
    srv.proc = None
    srv.log_file = open(srv.log_path, "ab")
    srv.proc = subprocess.Popen(
        [os.environ.get("YUBIN_BIN", "build/yubin"), "-c", srv.config_path, "serve"],
        stdin=subprocess.DEVNULL, stdout=srv.log_file, stderr=subprocess.STDOUT,
        preexec_fn=lambda: __import__("resource").setrlimit(
            __import__("resource").RLIMIT_NOFILE, (256, 256)))
    deadline = time.monotonic() + 20
    while "yubin ready" not in srv.log():
        assert srv.proc.poll() is None, srv.log_tail()
        assert time.monotonic() < deadline, srv.log_tail()
        time.sleep(0.05)
    log = srv.log()
    assert "lowering the connection limits" in log, log
    budget = 256 - 256 // 4
    conns = []
    try:
        refused = 0
        for _ in range(budget + 20):
            s = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=10)
            conns.append(s)
        for s in conns[-10:]:
            line = s.makefile("rb").readline()
            refused += line.startswith(b"* BYE [UNAVAILABLE]")
        assert refused == 10
    finally:
        for s in conns:
            s.close()

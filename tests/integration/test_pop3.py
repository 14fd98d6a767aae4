"""POP3 (issue 3) against a real `yubin serve`, with Python's poplib, raw sockets, curl and
fetchmail: RFC 1939 commands and states, RFC 2449 CAPA and response codes, STLS and POP3S,
byte-exact retrieval, deletions only at QUIT, one session per maildrop."""
import os
import poplib
import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import PASSWORD, free_port

USER = "alice@example.test"


@pytest.fixture
def pop(yubin_factory):
    srv = yubin_factory(config={"pop3_listen": "127.0.0.1:%d" % free_port(),
                                "pop3s_listen": "127.0.0.1:%d" % free_port()})
    srv.pop3_port = int(srv.settings["pop3_listen"].rsplit(":", 1)[1])
    srv.pop3s_port = int(srv.settings["pop3s_listen"].rsplit(":", 1)[1])
    return srv


def tls_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def deliver(srv, body, to=USER, subject="test", raw=None):
    msg = raw if raw is not None else (
        "From: sender@remote.test\r\nTo: %s\r\nSubject: %s\r\n\r\n%s" % (to, subject, body)
    ).encode()
    with srv.smtp() as s:
        s.sendmail("sender@remote.test", [to], msg)
    return msg


def login(srv, user=USER, password=PASSWORD):
    p = poplib.POP3(srv.host, srv.pop3_port, timeout=30)
    p.user(user)
    p.pass_(password)
    return p


def retr_bytes(p, n):
    resp, lines, octets = p.retr(n)
    return b"\r\n".join(lines) + b"\r\n", octets


def test_capa_and_greeting(pop):
    p = poplib.POP3(pop.host, pop.pop3_port, timeout=30)
    assert p.getwelcome().startswith(b"+OK")
    capa = p.capa()
    for c in ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS",
              "IMPLEMENTATION"):
        assert c in capa, c
    assert capa["SASL"] == ["PLAIN"]
    assert capa["EXPIRE"] == ["NEVER"]
    p.quit()


def test_retr_byte_exact_and_sizes(pop):
    body = "line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast\r\n"
    deliver(pop, body)
    stored = pop.messages(USER)[0]
    p = login(pop)
    count, size = p.stat()
    assert (count, size) == (1, len(stored))
    resp, listing, _ = p.list()
    assert listing == [b"1 %d" % len(stored)]
    assert p.list(1).split() == [b"+OK", b"1", str(len(stored)).encode()]
    data, octets = retr_bytes(p, 1)
    assert data == stored
    assert b"\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast\r\n" in data
    p.quit()


def test_big_8bit_message_byte_exact(pop):
    chunk = bytes(range(128, 256)) * 8 + b"\r\n"
    body = b"".join(chunk for _ in range(5 * 1024 * 1024 // len(chunk)))
    raw = b"From: sender@remote.test\r\nTo: %s\r\nSubject: big\r\n\r\n" % USER.encode() + body
    with pop.smtp() as s:
        s.sendmail("sender@remote.test", [USER], raw, mail_options=["BODY=8BITMIME"])
    stored = pop.messages(USER)[0]
    assert stored.endswith(raw)
    p = login(pop)
    data, octets = retr_bytes(p, 1)
    assert data == stored
    assert p.stat() == (1, len(stored))
    p.quit()


def test_top(pop):
    deliver(pop, "b1\r\nb2\r\n.b3\r\nb4\r\n", subject="topper")
    p = login(pop)
    resp, lines, _ = p.top(1, 0)
    assert lines[-1] == b""
    assert b"Subject: topper" in lines
    assert b"b1" not in lines
    resp, lines, _ = p.top(1, 3)
    i = lines.index(b"")
    assert lines[i + 1:] == [b"b1", b"b2", b".b3"]
    p.quit()


def test_uidl_stable_and_unique(pop):
    for i in range(3):
        deliver(pop, "n%d\r\n" % i)
    p = login(pop)
    first = p.uidl()[1]
    p.quit()
    assert len(set(u.split()[1] for u in first)) == 3
    for u in first:
        uid = u.split()[1]
        assert 1 <= len(uid) <= 70 and all(0x21 <= c <= 0x7E for c in uid)
    p = login(pop)
    assert p.uidl()[1] == first
    p.dele(1)
    p.quit()
    deliver(pop, "new\r\n")
    p = login(pop)
    second = p.uidl()[1]
    uids_before = set(u.split()[1] for u in first)
    uids_now = [u.split()[1] for u in second]
    assert set(uids_now[:2]) == set(u.split()[1] for u in first[1:])
    assert uids_now[2] not in uids_before  # never reused
    p.quit()


def test_dele_quit_expunges_drop_keeps_rset_unmarks(pop):
    for i in range(3):
        deliver(pop, "m%d\r\n" % i)
    p = login(pop)
    p.dele(1)
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    assert p.stat()[0] == 2
    p.rset()
    assert p.stat()[0] == 3
    p.dele(2)
    # drop without QUIT: nothing deleted
    p.close()
    time.sleep(0.3)
    assert pop.count(USER) == 3
    p = login(pop)
    p.dele(2)
    p.dele(3)
    assert p.quit().startswith(b"+OK")
    msgs = pop.messages(USER)
    assert len(msgs) == 1 and msgs[0].endswith(b"m0\r\n")


def test_second_session_in_use(pop):
    deliver(pop, "x\r\n")
    p1 = login(pop)
    p2 = poplib.POP3(pop.host, pop.pop3_port, timeout=30)
    p2.user(USER)
    with pytest.raises(poplib.error_proto) as e:
        p2.pass_(PASSWORD)
    assert b"[IN-USE]" in e.value.args[0]
    p2.close()
    p1.quit()
    p3 = login(pop)  # free again
    p3.quit()


def test_mail_arriving_during_session(pop):
    deliver(pop, "old\r\n")
    p = login(pop)
    deliver(pop, "arrived during the session\r\n")
    assert p.stat()[0] == 1
    p.dele(1)
    p.quit()
    msgs = pop.messages(USER)
    assert len(msgs) == 1 and msgs[0].endswith(b"arrived during the session\r\n")


def test_wrong_password_delayed_others_served(pop):
    p = poplib.POP3(pop.host, pop.pop3_port, timeout=60)
    p.user(USER)
    with pytest.raises(poplib.error_proto) as e:
        p.pass_("wrong")
    assert b"[AUTH]" in e.value.args[0]
    # a second failure from the same address waits longer; meanwhile others are served
    done = {}

    def fail_again():
        t = time.monotonic()
        q = poplib.POP3(pop.host, pop.pop3_port, timeout=60)
        q.user(USER)
        try:
            q.pass_("wrong again")
        except poplib.error_proto as err:
            done["err"] = err.args[0]
        done["t"] = time.monotonic() - t
        q.close()

    th = threading.Thread(target=fail_again)
    th.start()
    time.sleep(0.2)
    t = time.monotonic()
    with pop.smtp() as s:
        s.noop()
    assert time.monotonic() - t < 1.0
    th.join(30)
    assert b"[AUTH]" in done["err"]
    assert done["t"] >= 0.9
    p.close()


def test_auth_plain_initial_response(pop):
    import base64
    deliver(pop, "x\r\n")
    with socket.create_connection((pop.host, pop.pop3_port), timeout=30) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"+OK")
        tok = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode())
        s.sendall(b"AUTH PLAIN " + tok + b"\r\nSTAT\r\nQUIT\r\n")
        assert f.readline().startswith(b"+OK")
        assert f.readline().startswith(b"+OK 1 ")
        assert f.readline().startswith(b"+OK")


def test_errors_and_long_lines(pop):
    with socket.create_connection((pop.host, pop.pop3_port), timeout=30) as s:
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"BOGUS\r\n" + b"NOOP " + b"x" * 5000 + b"\r\nSTAT\r\nCAPA\r\n")
        assert f.readline().startswith(b"-ERR")
        assert f.readline().startswith(b"-ERR")
        assert f.readline().startswith(b"-ERR")  # STAT before login
        assert f.readline().startswith(b"+OK")  # the session goes on
        for line in iter(f.readline, b".\r\n"):
            pass
        s.sendall(b"BOGUS\r\n" * 40)
        lines = f.read().split(b"\r\n")
        assert any(b"Too many errors" in l for l in lines)  # and the server closed


def test_stls_and_injection(pop):
    deliver(pop, "x\r\n")
    p = poplib.POP3(pop.host, pop.pop3_port, timeout=30)
    p.stls(tls_ctx())
    assert "STLS" not in p.capa()
    p.user(USER)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()
    # bytes pipelined after STLS must be thrown away, never executed
    with socket.create_connection((pop.host, pop.pop3_port), timeout=30) as raw:
        f = raw.makefile("rb")
        f.readline()
        raw.sendall(b"STLS\r\nUSER " + USER.encode() + b"\r\n")
        assert f.readline().startswith(b"+OK")
        t = tls_ctx().wrap_socket(raw, server_hostname="mx.example.test")
        t.sendall(b"PASS " + PASSWORD.encode() + b"\r\n")
        reply = t.recv(1000)
        assert reply.startswith(b"-ERR"), reply  # the injected USER was not executed
        t.sendall(b"QUIT\r\n")
        t.close()


def test_pop3s(pop):
    deliver(pop, "over tls\r\n")
    p = poplib.POP3_SSL(pop.host, pop.pop3s_port, context=tls_ctx(), timeout=30)
    p.user(USER)
    p.pass_(PASSWORD)
    data, _ = retr_bytes(p, 1)
    assert data.endswith(b"over tls\r\n")
    p.quit()


def test_curl_pop3_and_pop3s(pop):
    deliver(pop, "curl body\r\n")
    out = subprocess.run(["curl", "-s", "--user", "%s:%s" % (USER, PASSWORD),
                          "pop3://127.0.0.1:%d/1" % pop.pop3_port], capture_output=True,
                         timeout=30)
    assert out.returncode == 0 and out.stdout.endswith(b"curl body\r\n")
    out = subprocess.run(["curl", "-s", "-k", "--user", "%s:%s" % (USER, PASSWORD),
                          "pop3s://127.0.0.1:%d/" % pop.pop3s_port], capture_output=True,
                         timeout=30)
    assert out.returncode == 0 and out.stdout.startswith(b"1 ")


@pytest.mark.parametrize("mode", ["ssl", "stls"])
def test_fetchmail(pop, tmp_path, mode):
    bodies = ["fetch one\r\n", "fetch two\r\n"]
    for b in bodies:
        deliver(pop, b)
    out = tmp_path / "mbox"
    rc = tmp_path / "fetchmailrc"
    port = pop.pop3s_port if mode == "ssl" else pop.pop3_port
    rc.write_text(
        'set no syslog\nset no bouncemail\n'
        'poll 127.0.0.1 service %d protocol POP3 uidl:\n'
        '  user "%s" password "%s" is "%s" here\n'
        '  %s no sslcertck\n'
        '  fetchall nokeep\n'
        '  mda "/bin/sh -c \'cat >> %s\'"\n'
        % (port, USER, PASSWORD, os.environ.get("USER", "root"),
           "ssl" if mode == "ssl" else "sslproto tls1.2+", out))
    rc.chmod(0o600)
    env = dict(os.environ, HOME=str(tmp_path), FETCHMAILHOME=str(tmp_path))
    p = subprocess.run(["fetchmail", "-f", str(rc), "--nodetach", "-v"], capture_output=True,
                       timeout=60, env=env)
    log = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, log
    if mode == "stls":
        assert "STLS" in log
    got = out.read_bytes()
    for b in bodies:
        assert b.encode().replace(b"\r\n", b"\n") in got.replace(b"\r\n", b"\n")
    assert pop.count(USER) == 0  # nokeep: deleted at QUIT


def _raw_pop_login(srv, mode):
    s = socket.create_connection((srv.host, srv.pop3s_port if mode == "pop3s"
                                  else srv.pop3_port), timeout=30)
    if mode == "pop3s":
        s = tls_ctx().wrap_socket(s)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    if mode == "stls":
        s.sendall(b"STLS\r\n")
        assert f.readline().startswith(b"+OK")
        s = tls_ctx().wrap_socket(s)
        f = s.makefile("rb")
    s.sendall(b"USER %s\r\nPASS %s\r\n" % (USER.encode(), PASSWORD.encode()))
    assert f.readline().startswith(b"+OK")
    assert f.readline().startswith(b"+OK")
    return s, f


@pytest.mark.parametrize("mode", ["plain", "stls", "pop3s"])
@pytest.mark.parametrize("how", ["after-dele", "mid-retr", "retr-unread", "pipelined"])
def test_dropped_connection_releases_the_lock(pop, how, mode):
    """Issue 11 fault 2: a client that sends DELE and loses its connection without QUIT
    (also while a command is in flight) must be able to log in again one second later,
    see every message (RFC 1939 6: no UPDATE without QUIT), and not get [IN-USE]."""
    deliver(pop, "small\r\n")
    deliver(pop, ("x" * 998 + "\r\n") * 8000)  # ~8 MB: streamed with backpressure
    s, f = _raw_pop_login(pop, mode)
    s.sendall(b"DELE 1\r\n")
    assert f.readline().startswith(b"+OK")
    if how == "mid-retr":
        s.sendall(b"RETR 2\r\n")
        assert f.readline().startswith(b"+OK")
        f.read(100000)  # part of it, then the connection goes
    elif how == "retr-unread":
        s.sendall(b"RETR 2\r\n")
        time.sleep(0.3)  # the server is blocked on our full receive window
    elif how == "pipelined":
        s.sendall(b"RETR 2\r\nDELE 2\r\nLIST\r\n")
        time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    f.close()
    s.close()
    time.sleep(1)
    p = login(pop)
    assert p.stat()[0] == 2
    p.quit()
    assert pop.count(USER) == 2


def test_drop_noticed_while_a_command_is_in_flight(yubin_factory):
    """Issue 11 fault 2: the end of a connection is noticed at once, also while a
    command is in flight (here a login held by the failure delay), not only after the
    command is done: the session is rolled back and its resources released then."""
    srv = yubin_factory(config={"pop3_listen": "127.0.0.1:%d" % free_port(),
                                "auth_failure_delay": "4000"})
    port = int(srv.settings["pop3_listen"].rsplit(":", 1)[1])
    s = socket.create_connection((srv.host, port), timeout=30)
    f = s.makefile("rb")
    assert f.readline().startswith(b"+OK")
    s.sendall(b"USER %s\r\nPASS wrong\r\n" % USER.encode())
    assert f.readline().startswith(b"+OK")
    time.sleep(0.3)  # the check is in flight, held by the failure delay
    f.close()
    s.close()
    t0 = time.monotonic()
    while not re.search(r"pop3: \S+: disconnect from .* reason=eof", srv.log()):
        assert time.monotonic() - t0 < 2.5, "drop not noticed during the command:\n" + \
            srv.log_tail()
        time.sleep(0.05)


SQLITE_FAULT_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

/* Fails the store's range cursor over the index while the flag file exists. */
int
sqlite3_step(sqlite3_stmt *st)
{
	static int (*real)(sqlite3_stmt *);
	const char *flag = getenv("YUBIN_TEST_CURSOR_FAULT");
	const char *sql = sqlite3_sql(st);

	if (real == NULL)
		real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
	if (flag != NULL && access(flag, F_OK) == 0 && sql != NULL &&
	    strstr(sql, "BETWEEN ?2 AND ?3") != NULL)
		return SQLITE_IOERR;
	return real(st);
}
"""


@pytest.mark.skipif(os.environ.get("YUBIN_SANITIZED") == "1",
                    reason="an LD_PRELOAD shim does not mix with the ASan runtime")
def test_login_fails_when_the_snapshot_cannot_be_read(yubin_factory, tmp_path, monkeypatch):
    """The sizes of the maildrop snapshot come from a cursor over the index: when it
    fails, the login must fail with -ERR [SYS/TEMP] (and release the maildrop), not
    succeed with size 0 for the remaining messages."""
    src = tmp_path / "shim.c"
    src.write_text(SQLITE_FAULT_SHIM)
    shim = tmp_path / "shim.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(shim), str(src), "-ldl"], check=True)
    flag = tmp_path / "fail-cursor"
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    monkeypatch.setenv("YUBIN_TEST_CURSOR_FAULT", str(flag))
    srv = yubin_factory(config={"pop3_listen": "127.0.0.1:%d" % free_port()}, start=False)
    srv.start()
    monkeypatch.delenv("LD_PRELOAD")
    srv.pop3_port = int(srv.settings["pop3_listen"].rsplit(":", 1)[1])
    deliver(srv, "one\r\n")
    deliver(srv, "two\r\n")
    flag.write_text("")
    p = poplib.POP3(srv.host, srv.pop3_port, timeout=30)
    p.user(USER)
    with pytest.raises(poplib.error_proto) as e:
        p.pass_(PASSWORD)
    assert e.value.args[0].startswith(b"-ERR [SYS/TEMP]"), e.value.args[0]
    p.close()
    flag.unlink()
    p = login(srv)  # the maildrop was not left locked
    assert p.stat()[0] == 2
    assert all(int(line.split()[1]) > 0 for line in p.list()[1])
    p.quit()

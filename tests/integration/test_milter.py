"""The milter client (docs/filters.md) against a scripted milter (python3-milter): every
action over TCP and over a unix socket, a chain where the second milter sees the first one's
edits, per-recipient rejects, a milter that hangs (timeout -> milter_default_action), one
that dies mid-message, and slow milters holding up no other session."""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import free_port
from filterd import tcp_open, unix_open, wait_listening
from helpers import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def have_pymilter():
    return subprocess.run([PY, "-c", "import Milter"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not have_pymilter(), reason="python3-milter not installed")


class Scripted:
    def __init__(self, where="inet", tag="A"):
        self.tmp = tempfile.mkdtemp(prefix="yubin-milter-")
        if where == "inet":
            self.port = free_port()
            arg, self.spec = ("inet:%d@127.0.0.1" % self.port,
                              "inet:127.0.0.1:%d" % self.port)
            check = tcp_open(self.port)
        else:
            path = os.path.join(self.tmp, "m.sock")
            arg = self.spec = "unix:" + path
            check = unix_open(path)
        self.proc = subprocess.Popen([PY, os.path.join(HERE, "scripted_milter.py"), arg, tag],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(check, self.proc, "scripted milter")

    def stop(self):
        # libmilter waits for its sessions to end on SIGTERM (seconds): nothing to keep
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="module", params=["inet", "unix"])
def milter(request):
    m = Scripted(request.param)
    yield m
    m.stop()


def msg(subject, body=b"hello\r\n", extra=b""):
    return (b"From: s@client.example.test\r\nTo: alice@example.test\r\nSubject: "
            + subject.encode() + b"\r\n" + extra + b"\r\n" + body)


def send(server, m, rcpts=("alice@example.test",), port=None, sender="s@client.example.test"):
    with server.smtp(port=port) as s:
        try:
            refused = s.sendmail(sender, list(rcpts), m)
            return 250, refused
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error
        except smtplib.SMTPRecipientsRefused as e:
            return 0, e.recipients


def stored_headers(server, account, original):
    got = server.messages(account)
    assert len(got) == 1, got
    return got[0]


def test_reject_tempfail_discard(yubin_factory, milter):
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    code, text = send(server, msg("m:reject"))
    assert (code, text) == (554, b"5.7.1 scripted EOM reject")
    code, text = send(server, msg("m:tempfail"))
    assert code == 451 and text.startswith(b"4.7.1"), text
    assert send(server, msg("m:discard"))[0] == 250
    assert server.count("alice@example.test") == 0
    assert send(server, msg("plain"))[0] == 250
    assert server.count("alice@example.test") == 1


def test_header_and_body_edits(yubin_factory, milter):
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    m = msg("m:addhdr m:inshdr m:chgsubj m:delhdr m:replbody",
            extra=b"X-Remove: bye\r\nX-Keep: folded\r\n line\r\n", body=b"old body\r\n")
    assert send(server, m)[0] == 250
    data = server.messages("alice@example.test")[0]
    head, _, body = data.partition(b"\r\n\r\n")
    head += b"\r\n"
    assert body == b"replaced body\r\n"
    assert b"X-Scripted-A: added by A\r\n" in head
    assert b"Subject: changed subject\r\n" in head
    assert b"X-Remove" not in head
    assert b"X-Keep: folded\r\n line\r\n" in head
    # index 0: the first field of the message (above From:)
    assert head.index(b"X-First: inserted") < head.index(b"From: s@client")


def test_envelope_edits_and_macros(yubin_factory, milter):
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    m = msg("m:addrcpt m:delrcpt m:chgfrom m:macros")
    code, _ = send(server, m, rcpts=("alice@example.test", "carol@example.test"))
    assert code == 250
    assert server.count("carol@example.test") == 0  # deleted
    assert server.count("bob@example.test") == 1    # added
    data = server.messages("alice@example.test")[0]
    assert data.startswith(b"Return-Path: <changed@client.example.test>"), data[:200]
    macros = dict(kv.split("=", 1) for kv in
                  data.split(b"X-Macros: ")[1].split(b"\r\n")[0].decode().split(";"))
    assert macros["j"] == "mx.example.test"
    assert macros["daemon_name"] == "mx.example.test"
    assert macros["client_addr"] == "127.0.0.1"
    assert macros["mail_addr"] == "s@client.example.test"
    assert macros["helo"] == "client.example.test"
    assert macros["i"] and macros["i"] != "None"


def test_rcpt_reject_at_rcpt_time(yubin_factory, milter):
    """The milter's verdict on a recipient is the reply to that RCPT command."""
    server = yubin_factory(config={"smtpd_milters": milter.spec},
                           users=["alice@example.test", "rcptreject@example.test"])
    code, refused = send(server, msg("x"), rcpts=("alice@example.test", "rcptreject@example.test"))
    assert code == 250
    assert refused == {"rcptreject@example.test": (550, b"5.7.1 scripted RCPT reject")}
    assert server.count("alice@example.test") == 1
    assert server.count("rcptreject@example.test") == 0
    with server.raw() as c:
        assert c.reply().code == 220
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<s@client.example.test>", 250)
        r = c.cmd("RCPT TO:<rcptreject@example.test>")
        assert (r.code, r.text) == (550, "5.7.1 scripted RCPT reject"), r
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)


def test_mail_tempfail_answers_mail(yubin_factory, milter):
    """A milter's verdict at MAIL is the reply to MAIL itself (the conversation is open since
    connect, as Postfix holds it); the next transaction of the session is asked afresh."""
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    with server.raw() as c:
        assert c.reply().code == 220
        c.expect("EHLO client.example.test", 250)
        r = c.cmd("MAIL FROM:<mailtempfail@client.example.test>")
        assert r.code == 451 and r.text.startswith("4.7.1"), r
        c.expect("MAIL FROM:<s@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(msg("x") + b".\r\n")
        assert c.reply().code == 250
        c.expect("QUIT", 221)
    assert server.count("alice@example.test") == 1


def test_big_body_in_chunks(yubin_factory, milter):
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    body = (b"x" * 998 + b"\r\n") * 200  # 200 KB: 4 chunks of at most 65535
    assert send(server, msg("m:macros", body=body))[0] == 250
    data = server.messages("alice@example.test")[0]
    assert b";chunks=4;" in data
    assert data.endswith(body)


def test_chain_second_sees_first(yubin_factory):
    a, b = Scripted("inet", "A"), Scripted("unix", "B")
    try:
        server = yubin_factory(config={"smtpd_milters": "%s, %s" % (a.spec, b.spec)})
        assert send(server, msg("m:addhdr m:seen"))[0] == 250
        data = server.messages("alice@example.test")[0]
        assert b"X-Seen-A: none\r\n" in data
        assert b"X-Seen-B: X-Scripted-A\r\n" in data
        assert b"X-Scripted-B: added by B\r\n" in data
    finally:
        a.stop()
        b.stop()


def test_submission_uses_non_smtpd_milters(yubin_factory, milter):
    server = yubin_factory(config={"non_smtpd_milters": milter.spec})
    assert send(server, msg("m:reject"))[0] == 250  # port 25: no milter
    with server.smtp(port=server.submission_port) as s:
        s.starttls()
        s.ehlo()
        s.login("alice@example.test", "secret-Passw0rd")
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("alice@example.test", ["bob@example.test"],
                       msg("m:reject").replace(b"s@client.example.test", b"alice@example.test"))
        assert e.value.smtp_code == 554


def test_hang_then_default_action(yubin_factory):
    m = Scripted("inet")
    try:
        server = yubin_factory(config={"smtpd_milters": m.spec,
                                       "milter_content_timeout": "1s"})
        t0 = time.monotonic()
        code, text = send(server, msg("m:hang"))
        assert code == 451, text
        assert time.monotonic() - t0 < 20
        server.settings["milter_default_action"] = "accept"
        server.write_config()
        server.restart()
        assert send(server, msg("m:hang"))[0] == 250
        assert server.count("alice@example.test") == 1
    finally:
        m.stop()


def test_dies_mid_message(yubin_factory):
    m = Scripted("inet")
    try:
        server = yubin_factory(config={"smtpd_milters": m.spec,
                                       "milter_default_action": "reject"})
        code, text = send(server, msg("m:die"))
        assert code == 550, text
        assert server.count("alice@example.test") == 0
        # nobody listens any more: the milter connect fails at the client's connect, the
        # same action (a 554 greeting, then 503 to all but QUIT)
        with server.raw() as c:
            r = c.reply()
            assert r.code == 554 and "5.7.1" in r.text, r
            assert c.cmd("EHLO client.example.test").code == 503
            c.expect("QUIT", 221)
    finally:
        m.stop()


def test_slow_milter_holds_up_no_other_session(yubin_factory):
    """Sessions waiting (at connect) on a milter that accepts and never answers do not delay a session
    whose transaction has no milter to wait for (submission, non_smtpd_milters empty).
    YUBIN_MILTER_SESSIONS=1000 runs it at the issue's scale (not in make test: threads)."""
    n = int(os.environ.get("YUBIN_MILTER_SESSIONS", "50"))
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", free_port()))
    lsock.listen(256)
    held = []
    done = threading.Event()

    def accept_and_hold():
        lsock.settimeout(0.2)
        while not done.is_set():
            try:
                held.append(lsock.accept()[0])
            except OSError:
                pass
    acceptor = threading.Thread(target=accept_and_hold, daemon=True)
    acceptor.start()
    try:
        server = yubin_factory(config={
            "smtpd_milters": "inet:127.0.0.1:%d" % lsock.getsockname()[1],
            # below START_TIMEOUT: the server's start probe waits for a greeting too
            "milter_connect_timeout": "6s" if n <= 100 else "15s",
            "smtp_max_connections": str(n + 100), "smtp_max_connections_per_ip": str(n + 100)})
        results = []

        def hung():  # no answer to the negotiation: the greeting waits, then 421
            try:
                send(server, msg("slow"))
                results.append(250)
            except smtplib.SMTPConnectError as e:
                results.append(e.smtp_code)
        threads = [threading.Thread(target=hung) for _ in range(n)]
        for t in threads:
            t.start()
        assert wait_until(lambda: len(held) >= n, timeout=60), len(held)
        t0 = time.monotonic()
        with server.smtp(port=server.submission_port) as s:
            s.starttls()
            s.ehlo()
            s.login("alice@example.test", "secret-Passw0rd")
            s.sendmail("alice@example.test", ["bob@example.test"],
                       msg("quick").replace(b"s@client.example.test", b"alice@example.test"))
        quick = time.monotonic() - t0
        print("a session beside %d waiting on a milter: %.3f s" % (n, quick))
        assert results == []  # the slow ones still wait
        for t in threads:
            t.join()
        assert results == [421] * n
        assert quick < 3, quick  # the slow ones wait 6 s
        assert server.count("bob@example.test") == 1
    finally:
        done.set()
        acceptor.join()
        for c in held:
            c.close()
        lsock.close()


def test_quarantine_holds_in_queue(yubin_factory, milter):
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    assert send(server, msg("m:quarantine"))[0] == 250
    assert server.count("alice@example.test") == 0
    out = server.cli("queue", "list").stdout.decode()
    assert "(held)" in out, out
    qid = [line.split()[0] for line in out.splitlines() if "(held)" in line][0]
    server.cli("queue", "release", qid)
    assert wait_until(lambda: server.count("alice@example.test") == 1, timeout=20), \
        server.cli("queue", "list").stdout


def test_no_delayed_ack_stall_over_tcp(yubin_factory):
    """A filter writes its header edit and its verdict as two small packets; without
    TCP_QUICKACK on our side, Nagle (on its side) and our delayed ACK add ~40 ms to every
    such message (docs/filters.md "Running the filter daemons offline"). Measured: 52 ms a message without, 2 ms with."""
    m = Scripted("inet")
    try:
        server = yubin_factory(config={"smtpd_milters": m.spec})
        times = []
        for i in range(15):
            t0 = time.monotonic()
            assert send(server, msg("m:addhdr %d" % i))[0] == 250
            times.append(time.monotonic() - t0)
        times.sort()
        assert times[len(times) // 2] < 0.030, times
    finally:
        m.stop()


def test_client_leaves_while_milter_thinks(yubin_factory):
    """The client goes away while its greeting, then its end of data, waits on a milter: the
    session is freed when the milter answers (or times out), nothing is delivered, nothing
    leaks (the ASan build checks at teardown)."""
    m = Scripted("inet")
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", free_port()))
    lsock.listen(8)
    try:
        server = yubin_factory(config={"smtpd_milters": m.spec, "milter_content_timeout": "2s"})
        c = server.raw()
        assert c.reply().code == 220
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<s@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(msg("m:hang") + b".\r\n")
        time.sleep(0.3)
        c.close()
        silent = yubin_factory(config={
            "smtpd_milters": "inet:127.0.0.1:%d" % lsock.getsockname()[1],
            "milter_connect_timeout": "2s"})
        c = silent.raw()  # the greeting waits on the milter: the client leaves first
        c.send(b"EHLO client.example.test\r\n")
        time.sleep(0.3)
        c.close()
        time.sleep(3)  # both milters time out meanwhile
        assert server.alive() and silent.alive()
        assert server.count("alice@example.test") == 0
        with silent.raw() as c:  # still serving (421 at connect)
            assert c.reply().code == 421
    finally:
        m.stop()
        lsock.close()


def macros_of(data):
    return dict(kv.split("=", 1) for kv in
                data.split(b"X-Macros: ")[1].split(b"\r\n")[0].decode().split(";"))


def test_one_conversation_per_session(yubin_factory, milter):
    """Postfix holds one milter conversation per SMTP session: the second message of a
    session is the second transaction the milter sees on the same connection."""
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    with server.smtp() as s:
        # a transaction that ends early (RSET after RCPT): the milter gets abort, then MAIL
        assert s.mail("s@client.example.test")[0] == 250
        assert s.rcpt("alice@example.test")[0] == 250
        s.rset()
        s.sendmail("s@client.example.test", ["alice@example.test"], msg("m:macros one"))
        s.rset()
        s.sendmail("s@client.example.test", ["alice@example.test"], msg("m:macros two"))
    got = sorted(server.messages("alice@example.test"), key=lambda d: b"two" in d)
    assert [macros_of(d)["mails"] for d in got] == ["2", "3"]


def test_connect_and_helo_rejects_answer_the_command(yubin_factory, milter):
    """A milter's reject at connect is the greeting (554, then 503 to all but QUIT, RFC 5321
    3.1); at HELO it is the reply to HELO; the session goes on."""
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    with server.raw(source="127.0.0.2") as c:  # the scripted milter refuses 127.0.0.2
        r = c.reply()
        assert (r.code, r.text) == (554, "5.7.1 scripted connect reject"), r
        r = c.cmd("EHLO client.example.test")
        assert r.code == 503 and r.text.startswith("5.7.0"), r
        assert c.cmd("MAIL FROM:<s@client.example.test>").code == 503
        c.expect("QUIT", 221)
    with server.raw() as c:
        assert c.reply().code == 220
        r = c.cmd("EHLO heloreject.example.test")
        assert (r.code, r.text) == (550, "5.7.1 scripted HELO reject"), r
        assert c.cmd("MAIL FROM:<s@client.example.test>").code == 503  # no HELO yet
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<s@client.example.test>", 250)
        c.expect("QUIT", 221)


def test_unknown_command_goes_to_milters(yubin_factory, milter):
    """SMFIC_UNKNOWN: the milter's reject is the reply to an unknown command; otherwise it
    gets the usual 500."""
    server = yubin_factory(config={"smtpd_milters": milter.spec})
    with server.raw() as c:
        assert c.reply().code == 220
        c.expect("EHLO client.example.test", 250)
        r = c.cmd("XREJECT something")
        assert (r.code, r.text) == (550, "5.7.1 scripted unknown reject"), r
        r = c.cmd("XOTHER something")
        assert r.code == 500, r
        c.expect("MAIL FROM:<s@client.example.test>", 250)
        r = c.cmd("XREJECT again")  # inside a transaction, which goes on
        assert r.code == 550, r
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("QUIT", 221)


def test_added_recipient_shown_to_later_milters(yubin_factory):
    """A recipient the first milter adds is a RCPT to the second, which may refuse it."""
    a, b = Scripted("inet", "A"), Scripted("unix", "B")
    try:
        server = yubin_factory(config={"smtpd_milters": "%s, %s" % (a.spec, b.spec)},
                               users=["alice@example.test", "bob@example.test",
                                      "rcptreject@example.test"])
        assert send(server, msg("m:addA m:rcpts"))[0] == 250
        data = server.messages("alice@example.test")[0]
        assert b"X-Rcpts-A: <alice@example.test>\r\n" in data
        assert b"X-Rcpts-B: <alice@example.test>,<bob@example.test>\r\n" in data
        assert server.count("bob@example.test") == 1
        assert send(server, msg("m:addRej"))[0] == 250
        assert server.count("alice@example.test") == 2
        assert server.count("rcptreject@example.test") == 0
    finally:
        a.stop()
        b.stop()


def test_auth_type_and_tls_macros(yubin_factory, milter):
    """{auth_type} is the SASL mechanism used (LOGIN here), and HELO after STARTTLS carries
    {tls_version}, {cipher} and {cipher_bits} (Postfix's milter_helo_macros)."""
    server = yubin_factory(config={"non_smtpd_milters": milter.spec})
    with server.smtp(port=server.submission_port) as s:
        s.starttls()
        s.ehlo()
        s.user, s.password = "alice@example.test", "secret-Passw0rd"
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235
        s.sendmail("alice@example.test", ["bob@example.test"],
                   msg("m:macros").replace(b"s@client.example.test", b"alice@example.test"))
    m = macros_of(server.messages("bob@example.test")[0])
    assert m["auth_type"] == "LOGIN", m
    assert m["auth_authen"] == "alice@example.test", m
    assert m["tls_version"].startswith("TLSv1"), m
    assert m["cipher"] not in ("", "None") and int(m["cipher_bits"]) >= 128, m
    # plain port 25: no TLS macros
    plain = yubin_factory(config={"smtpd_milters": milter.spec})
    assert send(plain, msg("m:macros"))[0] == 250
    m = macros_of(plain.messages("alice@example.test")[0])
    assert m["tls_version"] == "None" and m["auth_type"] == "None", m


def test_sendmail_pickup_uses_non_smtpd_milters(yubin_factory, milter):
    """`yubin sendmail` mail (the maildrop pickup) goes through non_smtpd_milters with the
    macros of Postfix's pickup ({daemon_name} = pickup, no client address); a reject is
    bounced to the sender (the sendmail command has returned long before)."""
    from relay_helpers import sendmail
    server = yubin_factory(config={"non_smtpd_milters": milter.spec})
    m = msg("m:addhdr m:macros").replace(b"s@client.example.test", b"alice@example.test")
    sendmail(server, ["-f", "alice@example.test", "bob@example.test"], m.replace(b"\r\n", b"\n"))
    assert wait_until(lambda: server.count("bob@example.test") == 1, timeout=20)
    data = server.messages("bob@example.test")[0]
    assert b"X-Scripted-A: added by A\r\n" in data
    macros = macros_of(data)
    assert macros["daemon_name"] == "pickup", macros
    assert macros["client_addr"] == "None", macros
    assert macros["mail_addr"] == "alice@example.test", macros
    m = msg("m:reject").replace(b"s@client.example.test", b"alice@example.test")
    sendmail(server, ["-f", "alice@example.test", "bob@example.test"], m.replace(b"\r\n", b"\n"))
    assert wait_until(lambda: server.count("alice@example.test") == 1, timeout=20)
    bounce = server.messages("alice@example.test")[0]
    assert b"scripted EOM reject" in bounce and b"5.7.1" in bounce, bounce[:2000]
    assert server.count("bob@example.test") == 1

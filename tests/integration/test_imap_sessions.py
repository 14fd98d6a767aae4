"""IMAP (issue 4) with several sessions on one account: flag changes and expunges of one
session seen by another only at the points RFC 3501 7.4.1 allows, IDLE woken by an SMTP
delivery (latency measured and printed), QRESYNC VANISHED, and POP3 deletions seen by an
IMAP session as EXPUNGE."""
import poplib
import re
import time

import pytest

from conftest import PASSWORD, free_port
from test_imap_protocol import USER, Raw, deliver


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "pop3_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    srv.pop3_port = int(srv.settings["pop3_listen"].rsplit(":", 1)[1])
    return srv


def session(srv, box="INBOX"):
    c = Raw(srv.imap_port)
    c.login()
    c.ok("SELECT " + box)
    return c


def test_two_sessions_see_each_others_changes(imap):
    for i in range(3):
        deliver(imap, subject="m%d" % i)
    a, b = session(imap), session(imap)
    a.ok("STORE 1 +FLAGS (\\Flagged)")
    untagged, _ = b.ok("NOOP")
    assert any(re.match(rb"\* 1 FETCH \(.*FLAGS \([^)]*\\Flagged", u) for u in untagged), untagged
    # A expunges message 2: B's FETCH, STORE and SEARCH must not report the EXPUNGE, and its
    # sequence numbers do not shift under it (RFC 3501 7.4.1)
    a.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    untagged, _ = a.ok("EXPUNGE")
    assert untagged == [b"* 2 EXPUNGE\r\n"]
    untagged, _ = b.ok("FETCH 3 (UID)")
    assert not any(b"EXPUNGE" in u for u in untagged)
    assert any(u.startswith(b"* 3 FETCH (UID 3)") for u in untagged), untagged
    untagged, _ = b.ok("SEARCH ALL")
    assert not any(b"EXPUNGE" in u for u in untagged)
    untagged, _ = b.ok("STORE 3 +FLAGS (\\Seen)")
    assert not any(b"EXPUNGE" in u for u in untagged)
    # NOOP is an allowed point
    untagged, _ = b.ok("NOOP")
    assert b"* 2 EXPUNGE\r\n" in untagged
    untagged, _ = b.ok("FETCH 1:* (UID)")
    assert [re.search(rb"UID (\d+)", u).group(1) for u in untagged if b"FETCH" in u] == \
        [b"1", b"3"]
    # UID commands may report expunges (7.4.1), and new mail arrives as EXISTS
    deliver(imap, subject="new")
    untagged, _ = b.ok("UID FETCH 1:* (UID)")
    assert b"* 3 EXISTS\r\n" in untagged
    untagged, _ = a.ok("CHECK")
    assert b"* 3 EXISTS\r\n" in untagged
    a.close()
    b.close()


def idle_until(c, pattern, timeout=5.0):
    c.sock.settimeout(timeout)
    while True:
        r = c.response()
        if re.match(pattern, r):
            return r


def test_idle_woken_by_smtp_delivery(imap):
    deliver(imap, subject="first")
    c = session(imap)
    latencies = []
    for i in range(5):
        c.send(b"i%d IDLE\r\n" % i)
        assert c.response().startswith(b"+ ")
        # the time from the SMTP server's 250 (the message is stored) to "* N EXISTS"
        with imap.smtp() as s:
            s.sendmail("sender@remote.test", [USER],
                       b"From: s@remote.test\r\nSubject: idle %d\r\n\r\nx\r\n" % i)
            t0 = time.monotonic()
            idle_until(c, rb"\* %d EXISTS\r\n" % (i + 2))
            latencies.append(time.monotonic() - t0)
        c.send(b"DONE\r\n")
        _, tagged = c.until_tagged(b"i%d" % i)
        assert tagged.startswith(b"i%d OK" % i)
    latencies.sort()
    print("IDLE: SMTP 250 -> EXISTS latency median %.1f ms, max %.1f ms"
          % (latencies[2] * 1000, latencies[-1] * 1000))
    assert latencies[2] < 1.0
    c.close()


def test_idle_sees_flags_and_expunges_of_another_session(imap):
    for i in range(2):
        deliver(imap, subject="m%d" % i)
    a, b = session(imap), session(imap)
    b.send(b"i IDLE\r\n")
    assert b.response().startswith(b"+ ")
    a.ok("STORE 2 +FLAGS (\\Answered)")
    r = idle_until(b, rb"\* 2 FETCH")
    assert b"\\Answered" in r
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    idle_until(b, rb"\* 1 EXPUNGE\r\n")
    b.send(b"DONE\r\n")
    _, tagged = b.until_tagged(b"i")
    assert tagged.startswith(b"i OK")
    untagged, _ = b.ok("FETCH 1:* (UID)")
    assert untagged == [b"* 1 FETCH (UID 2)\r\n"]
    a.close()
    b.close()


def test_qresync_session_gets_vanished(imap):
    for i in range(3):
        deliver(imap, subject="m%d" % i)
    a = session(imap)
    b = Raw(imap.imap_port)
    b.login()
    b.ok("ENABLE QRESYNC")
    b.ok("SELECT INBOX")
    a.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    untagged, _ = b.ok("NOOP")
    assert b"* VANISHED 1:2\r\n" in untagged, untagged
    a.close()
    b.close()


def test_pop3_deletions_are_expunges_for_imap(imap):
    for i in range(3):
        deliver(imap, subject="m%d" % i)
    c = session(imap)
    p = poplib.POP3("127.0.0.1", imap.pop3_port, timeout=30)
    p.user(USER)
    p.pass_(PASSWORD)
    p.dele(2)
    # nothing happens before the POP3 QUIT (RFC 1939 UPDATE state)
    untagged, _ = c.ok("NOOP")
    assert not any(b"EXPUNGE" in u for u in untagged)
    p.quit()
    deadline = time.monotonic() + 5
    seen = []
    while time.monotonic() < deadline:
        untagged, _ = c.ok("NOOP")
        seen += untagged
        if b"* 2 EXPUNGE\r\n" in seen:
            break
        time.sleep(0.05)
    assert b"* 2 EXPUNGE\r\n" in seen, seen
    untagged, _ = c.ok("FETCH 1:* (UID)")
    assert [re.search(rb"UID (\d+)", u).group(1) for u in untagged] == [b"1", b"3"]
    c.close()

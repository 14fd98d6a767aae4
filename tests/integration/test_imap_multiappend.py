"""MULTIAPPEND (RFC 3502): several messages in one APPEND, each with its own flags and
date; all or nothing (a message refused refuses the command and nothing is stored); the OK
carries APPENDUID with the UID set (RFC 4315 3) and comes only once all are durable."""
import re
import time

import pytest

from conftest import free_port
from test_imap_protocol import Raw, caps_of, msg
from test_slow_disk import SLOW_MS, set_slow, slow_server  # noqa: F401 (a fixture)


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def count(c, mailbox="INBOX"):
    untagged, _ = c.ok("STATUS %s (MESSAGES)" % mailbox)
    return int(re.search(rb"MESSAGES (\d+)", untagged[0]).group(1))


def test_multiappend(imap):
    c = Raw(imap.imap_port)
    c.login()
    untagged, _ = c.ok("CAPABILITY")
    assert b"MULTIAPPEND" in caps_of(untagged[0])
    m1, m2, m3 = msg("one"), msg("two"), msg("three")
    _, tagged = c.ok(b"APPEND INBOX " + lit(m1) + b' (\\Seen $kw) "05-Feb-2020 10:11:12 +0300" ' +
                     lit(m2) + b" (\\Flagged) " + lit(m3))
    m = re.search(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", tagged)
    assert m and m.group(2) == b"1:3", tagged
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1:* (UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (Subject)])")
    assert len(untagged) == 3
    assert b"Subject: one" in untagged[0] and b"Subject: three" in untagged[2]
    assert b"\\Seen" in untagged[1] and b"$kw" in untagged[1]
    assert b"05-Feb-2020" in untagged[1]
    assert b"\\Flagged" in untagged[2] and b"\\Seen" not in untagged[2]
    # a second MULTIAPPEND continues the UIDs
    _, tagged = c.ok(b"APPEND INBOX " + lit(m1) + b" " + lit(m2))
    assert re.search(rb"\[APPENDUID \d+ 4:5\]", tagged), tagged


@pytest.mark.parametrize("bad", [
    b"(\\Recent) ",                      # not a storable flag: BAD
    b'"31-Feb-2020 10:11:12 +0000" ',     # no such day: BAD
])
def test_all_or_nothing_syntax(imap, bad):
    c = Raw(imap.imap_port)
    c.login()
    _, tagged = c.cmd(b"APPEND INBOX " + lit(msg("one")) + b" " + bad + lit(msg("two")))
    assert tagged.split()[1] == b"BAD", tagged
    assert count(c) == 0


def test_all_or_nothing_last_message_refused(imap):
    """The third message (a NUL in a plain literal) is refused after the first two were
    read: none of the three is stored."""
    c = Raw(imap.imap_port)
    c.login()
    _, tagged = c.cmd(b"APPEND INBOX " + lit(msg("one")) + b" " + lit(msg("two")) + b" " +
                      lit(msg("three", "a\x00b\r\n")))
    assert tagged.split()[1] == b"NO", tagged
    assert count(c) == 0
    # and to a mailbox that does not exist: TRYCREATE, nothing anywhere
    _, tagged = c.cmd(b"APPEND Nowhere " + lit(msg("one")) + b" " + lit(msg("two")))
    assert b"[TRYCREATE]" in tagged, tagged
    assert count(c) == 0


def test_ok_only_once_all_are_durable(slow_server):
    """With every fsync taking 500 ms (the slowsync shim), the OK of a MULTIAPPEND comes
    only after the journal sync that covers all its messages (RFC 3502 6: all or none, and
    durable before the answer); the messages are then all there."""
    c = Raw(slow_server.imap_port)
    c.login()
    set_slow(slow_server.slow_ctl, SLOW_MS)
    t0 = time.monotonic()
    _, tagged = c.ok(b"APPEND INBOX " + lit(msg("one")) + b" " + lit(msg("two")) + b" " +
                     lit(msg("three")))
    waited = time.monotonic() - t0
    set_slow(slow_server.slow_ctl, 0)
    assert re.search(rb"\[APPENDUID \d+ 1:3\]", tagged), tagged
    assert waited >= SLOW_MS / 1000 * 0.9, waited
    assert count(c) == 3

"""IMAP4rev2 (RFC 9051) beside IMAP4rev1: both announced; after ENABLE IMAP4rev2 a session
gets no RECENT, no \\Recent and no [UNSEEN], SEARCH answered with ESEARCH, [CLOSED] on an
implicit close, mailbox names in UTF-8 both ways, and STATUS DELETED; a session that did
not enable it keeps the rev1 behaviour."""
import re

import pytest

from conftest import free_port
from test_imap_protocol import Raw, caps_of, deliver


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def rev2_session(imap):
    c = Raw(imap.imap_port)
    assert {b"IMAP4rev1", b"IMAP4rev2"} <= set(caps_of(c.greeting))
    c.login()
    untagged, _ = c.ok("ENABLE IMAP4rev2")
    assert untagged == [b"* ENABLED IMAP4rev2\r\n"], untagged
    return c


def test_rev2_responses(imap):
    deliver(imap, subject="one")
    deliver(imap, subject="two")
    c = rev2_session(imap)
    untagged, _ = c.ok("SELECT INBOX")
    text = b"".join(untagged)
    assert b"RECENT" not in text and b"[UNSEEN" not in text, text
    assert b"* 2 EXISTS" in text
    untagged, _ = c.ok("FETCH 1:* (FLAGS)")
    assert all(b"\\Recent" not in u for u in untagged), untagged
    deliver(imap, subject="three")
    untagged, _ = c.ok("NOOP")
    assert b"* 3 EXISTS\r\n" in untagged and not any(b"RECENT" in u for u in untagged)
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = c.ok("SEARCH ALL")
    assert untagged == [b'* ESEARCH (TAG "%s") ALL 1:3\r\n' % tagged.split()[0]], untagged
    untagged, tagged = c.ok("UID SEARCH DELETED")
    assert untagged == [b'* ESEARCH (TAG "%s") UID ALL 2\r\n' % tagged.split()[0]], untagged
    untagged, _ = c.ok("STATUS INBOX (MESSAGES DELETED)")
    assert re.search(rb"\(MESSAGES 3 DELETED 1\)", untagged[0]), untagged
    untagged, _ = c.ok("EXAMINE INBOX")
    assert untagged[0].startswith(b"* OK [CLOSED]"), untagged


def test_rev2_utf8_mailbox_names(imap):
    name = "Résumé/Ünïcode"
    c = rev2_session(imap)
    c.ok(b'CREATE "' + name.encode() + b'"')
    untagged, _ = c.ok('LIST "" "R*"')
    assert any(name.encode() in u for u in untagged), untagged
    untagged, _ = c.ok(b'STATUS "' + name.encode() + b'" (MESSAGES)')
    assert name.encode() in untagged[0]
    # a rev1 session sees the same mailbox in modified UTF-7 (RFC 3501 5.1.3)
    d = Raw(imap.imap_port)
    d.login()
    untagged, _ = d.ok('LIST "" "R*"')
    assert any(b"R&AOk-sum&AOk-/&ANw-n&AO8-code" in u for u in untagged), untagged
    d.ok('SELECT "R&AOk-sum&AOk-/&ANw-n&AO8-code"')
    # and the rev1 behaviour stays for it
    deliver(imap, subject="x")
    untagged, _ = d.ok("SELECT INBOX")
    assert any(b"RECENT" in u for u in untagged)
    untagged, _ = d.ok("SEARCH ALL")
    assert untagged[0].startswith(b"* SEARCH"), untagged
    # invalid UTF-8 is refused under rev2
    _, tagged = c.cmd(b'CREATE "\xff\xfe"')
    assert tagged.split()[1] in (b"NO", b"BAD"), tagged

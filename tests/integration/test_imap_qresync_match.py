"""QRESYNC sequence-match-data (RFC 7162 3.2.5.2): a client whose message numbers still name
the same UIDs tells the server so at SELECT, and VANISHED (EARLIER) then leaves out the
expunges below those UIDs (which the client already knows of); pairs that no longer match
narrow nothing; sets of different lengths are BAD."""
import re

import pytest

from conftest import free_port
from test_imap_protocol import Raw, msg


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def expunge_uid(c, uid):
    c.ok("UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
    c.ok("UID EXPUNGE %d" % uid)


def vanished(untagged):
    for u in untagged:
        m = re.match(rb"\* VANISHED \(EARLIER\) (\S+)", u)
        if m:
            return m.group(1).decode()
    return ""


def test_seq_match_data(imap):
    c = Raw(imap.imap_port)
    c.login()
    for i in range(10):
        c.ok(b"APPEND INBOX " + lit(msg("m%d" % i)))
    c.ok("ENABLE QRESYNC")
    untagged, _ = c.ok("SELECT INBOX")
    text = b"".join(untagged)
    uidv = int(re.search(rb"UIDVALIDITY (\d+)", text).group(1))
    modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", text).group(1))
    # the client saw UID 2 go (its numbers follow), then lost its connection; UID 8 went
    # while it was away
    expunge_uid(c, 2)
    expunge_uid(c, 8)
    c.ok("UNSELECT")
    base = "SELECT INBOX (QRESYNC (%d %d 1:10%s))"
    untagged, _ = c.ok(base % (uidv, modseq, ""))
    assert vanished(untagged) == "2,8"
    # numbers 1, 2 and 5 are still UIDs 1, 3 and 6: nothing below 6 needs reporting
    untagged, _ = c.ok(base % (uidv, modseq, " (1,2,5 1,3,6)"))
    assert vanished(untagged) == "8"
    # a pair that does not match (number 2 is not UID 2 any more) stops the run there
    untagged, _ = c.ok(base % (uidv, modseq, " (1,2,5 1,2,5)"))
    assert vanished(untagged) == "2,8"
    untagged, _ = c.ok(base % (uidv, modseq, " (1:2 1:2)"))
    assert vanished(untagged) == "2,8"
    _, tagged = c.cmd(base % (uidv, modseq, " (1,2 1)"))
    assert tagged.split()[1] == b"BAD", tagged

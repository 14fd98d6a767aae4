"""INTERNALDATE keeps the zone an APPEND gave it (RFC 3501 6.3.11, 2.3.3): the date-time
comes back as it was written, also through COPY and MOVE, after a restart (index and
journal replay), and in every message of a MULTIAPPEND; without a date it is now, +0000."""
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


def dates(c, mailbox):
    c.ok("EXAMINE %s" % mailbox)
    untagged, _ = c.ok("FETCH 1:* (INTERNALDATE)")
    return [re.search(rb'INTERNALDATE "([^"]*)"', u).group(1).decode() for u in untagged
            if b"INTERNALDATE" in u]


def test_append_zone_kept(imap):
    c = Raw(imap.imap_port)
    c.login()
    c.ok(b'APPEND INBOX "05-Feb-2020 10:11:12 +0300" ' + lit(msg("one")) +
         b' "17-Jul-1996 02:44:25 -0700" ' + lit(msg("two")) + b" " + lit(msg("three")))
    got = dates(c, "INBOX")
    assert got[:2] == ["05-Feb-2020 10:11:12 +0300", "17-Jul-1996 02:44:25 -0700"], got
    assert got[2].endswith("+0000"), got
    c.ok("CREATE Other")
    c.ok("SELECT INBOX")
    c.ok("COPY 1 Other")
    c.ok("MOVE 2 Other")
    assert dates(c, "Other") == ["05-Feb-2020 10:11:12 +0300", "17-Jul-1996 02:44:25 -0700"]
    c.close()
    imap.restart()
    c = Raw(imap.imap_port)
    c.login()
    assert dates(c, "Other") == ["05-Feb-2020 10:11:12 +0300", "17-Jul-1996 02:44:25 -0700"]
    # and SEARCH still finds it by its date
    c.ok("SELECT Other")
    untagged, _ = c.ok("SEARCH ON 5-Feb-2020")
    assert untagged[0].split()[2:] == [b"1"], untagged

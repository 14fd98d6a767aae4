"""CATENATE (RFC 4469): APPEND of a message built from TEXT literals and IMAP URLs of the
account's own messages (whole, a section, a partial range; relative and absolute URLs, with
or without UIDVALIDITY); a bad URL is NO [BADURL] and nothing is stored, also in a
MULTIAPPEND; a result over the APPENDLIMIT is NO [TOOBIG]; an unknown mailbox TRYCREATE."""
import re

import pytest

from conftest import free_port
from test_imap_protocol import USER, Raw, caps_of

HDR = b"From: a@remote.test\r\nSubject: orig\r\n\r\n"
BODY = b"original body\r\n"


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "message_size_limit": "4000",
                                "imap_command_literal_limit": "64k"})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def prepare(imap):
    c = Raw(imap.imap_port)
    c.login()
    c.ok(b"APPEND INBOX " + lit(HDR + BODY))
    c.ok("CREATE Parts")
    untagged, _ = c.ok("SELECT INBOX")
    uidv = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(untagged)).group(1))
    return c, uidv


def bodies(c, mailbox="Parts"):
    untagged, _ = c.ok("EXAMINE %s" % mailbox)
    n = int(re.search(rb"\* (\d+) EXISTS", b"".join(untagged)).group(1))
    if n == 0:
        return []
    untagged, _ = c.ok("FETCH 1:* BODY.PEEK[]")
    out = []
    for u in untagged:
        m = re.search(rb"BODY\[\] \{(\d+)\}\r\n", u)
        if m:
            out.append(u[m.end():m.end() + int(m.group(1))])
    return out


def test_catenate_parts(imap):
    c, uidv = prepare(imap)
    untagged, _ = c.ok("CAPABILITY")
    assert b"CATENATE" in caps_of(untagged[0])
    _, tagged = c.ok(b'APPEND Parts (\\Draft) CATENATE (URL "/INBOX/;uid=1/;section=HEADER" '
                     b"TEXT " + lit(b"new body\r\n") + b")")
    assert b"[APPENDUID " in tagged
    c.ok(b'APPEND Parts CATENATE (TEXT ' + lit(b"Subject: x\r\n\r\n") +
         b' URL "/INBOX;UIDVALIDITY=%d/;uid=1/;section=TEXT" URL "/INBOX/;uid=1/;partial=6.3")'
         % uidv)
    c.ok(b'APPEND Parts CATENATE (URL "imap://%s@localhost/INBOX/;uid=1")' %
         USER.replace("@", "%40").encode())
    # URLs in a MULTIAPPEND, mixed with a plain message
    _, tagged = c.ok(b'APPEND Parts CATENATE (URL "/INBOX/;uid=1") ' + lit(b"X: y\r\n\r\nz\r\n"))
    assert re.search(rb"\[APPENDUID \d+ 4:5\]", tagged), tagged
    got = bodies(c)
    assert got == [HDR + b"new body\r\n", b"Subject: x\r\n\r\n" + BODY + b"a@r",
                   HDR + BODY, HDR + BODY, b"X: y\r\n\r\nz\r\n"]


@pytest.mark.parametrize("url", [
    b"/INBOX;UIDVALIDITY=1/;uid=1",          # another UIDVALIDITY
    b"/INBOX/;uid=99",                       # no such message
    b"/Nosuch/;uid=1",                       # no such mailbox
    b"/INBOX/;uid=1/;section=7",             # no such part
    b"/INBOX/;uid=1/;urlauth=anonymous",     # URLAUTH is not offered
    b"imap://bob%40example.test@h/INBOX/;uid=1",  # another user's
    b"not a url",
])
def test_bad_url_stores_nothing(imap, url):
    c, _ = prepare(imap)
    _, tagged = c.cmd(b'APPEND Parts CATENATE (URL "/INBOX/;uid=1") CATENATE (TEXT ' +
                      lit(b"a: b\r\n\r\n") + b' URL "' + url + b'")')
    assert tagged.split()[1] == b"NO" and b"[BADURL" in tagged, tagged
    assert bodies(c) == []


def test_toobig_and_trycreate(imap):
    c, _ = prepare(imap)
    big = b"x" * 1000 + b"\r\n"
    _, tagged = c.cmd(b"APPEND Parts CATENATE (TEXT " + lit(big) + b" TEXT " + lit(big) +
                      b" TEXT " + lit(big) + b" TEXT " + lit(big) + b")")
    assert tagged.split()[1] == b"NO" and b"[TOOBIG]" in tagged, tagged
    # URLs can name more than the command carries: each message within the APPENDLIMIT...
    c.ok(b"APPEND INBOX " + lit(HDR + b"y" * 1400 + b"\r\n"))  # UID 2, about 1.4 KB
    url = b' URL "/INBOX/;uid=2"'
    _, tagged = c.cmd(b"APPEND Parts CATENATE (" + url * 3 + b")")
    assert tagged.split()[1] == b"NO" and b"[TOOBIG]" in tagged, tagged
    # ...and all of them within imap_command_literal_limit (64 KiB here)
    _, tagged = c.cmd(b"APPEND Parts" + b" CATENATE (" + url * 2 + b")" * 1 +
                      (b" CATENATE (" + url * 2 + b")") * 24)
    assert tagged.split()[1] == b"NO" and b"[TOOBIG]" in tagged, tagged
    _, tagged = c.ok(b"APPEND Parts" + (b" CATENATE (" + url * 2 + b")") * 2)
    assert re.search(rb"\[APPENDUID \d+ 1:2\]", tagged), tagged
    c.ok("DELETE Parts")
    c.ok("CREATE Parts")
    # an unknown mailbox is TRYCREATE even when a URL is bad (RFC 4469 5)
    _, tagged = c.cmd(b'APPEND Nosuch CATENATE (URL "/INBOX;UIDVALIDITY=1/;uid=1")')
    assert b"[TRYCREATE]" in tagged, tagged
    assert bodies(c) == []

"""URLAUTH (RFC 4467): GENURLAUTH makes an authorized URL of a rump (INTERNAL mechanism,
HMAC-SHA1 under the mailbox's access key), URLFETCH gives its bytes to whom the access
identifier allows (user+NAME, authuser, anonymous; never submit+ over IMAP), a wrong or
expired URL gives NIL, and RESETKEY makes every URL generated before invalid."""
import re

import pytest

from conftest import free_port
from test_imap_protocol import Raw, caps_of, msg

ALICE, BOB = "user1@example.test", "user2@example.test"


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()},
                        users=[ALICE, BOB])
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def stored(imap, body=None):
    a = Raw(imap.imap_port)
    a.login(ALICE)
    body = body or msg("draft")
    _, tagged = a.ok(b"APPEND Drafts " + lit(body))
    uid = int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1))
    return a, uid, body


def gen(c, rump):
    untagged, _ = c.ok('GENURLAUTH "%s" INTERNAL' % rump)
    m = re.match(rb'\* GENURLAUTH "?([^"\r]+)"?\r\n', untagged[0])
    return m.group(1).decode()


def fetch(c, url):
    untagged, _ = c.ok('URLFETCH "%s"' % url)
    r = untagged[0]
    if r.endswith(b" NIL\r\n"):
        return None
    return re.search(rb"\{(\d+)\}\r\n", r) and r.split(b"}\r\n", 1)[1][:-2]


def test_generate_fetch_reset(imap):
    a, uid, body = stored(imap)
    untagged, _ = a.ok("CAPABILITY")
    assert b"URLAUTH" in caps_of(untagged[0])
    url = gen(a, "imap://user1@example.test/Drafts/;uid=%d;urlauth=user+%s" % (uid, ALICE))
    assert re.search(r";urlauth=user\+%s:internal:[0-9a-f]{40}$" % re.escape(ALICE), url), url
    assert fetch(a, url) == body
    # a section of it
    url1 = gen(a, "imap://user1@example.test/Drafts/;uid=%d/;section=HEADER;urlauth=user+%s"
               % (uid, ALICE))
    assert fetch(a, url1) == body.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    # a changed token is refused
    bad = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert fetch(a, bad) is None
    # RESETKEY: everything generated before stops working
    a.ok("RESETKEY Drafts")
    assert fetch(a, url) is None and fetch(a, url1) is None
    # a new URL works again
    assert fetch(a, gen(a, "imap://user1@example.test/Drafts/;uid=%d;urlauth=user+%s"
                        % (uid, ALICE))) == body


def test_access_identifiers(imap):
    a, uid, body = stored(imap)
    b = Raw(imap.imap_port)
    b.login(BOB)
    mine = gen(a, "imap://user1@example.test/Drafts/;uid=%d;urlauth=user+%s" % (uid, ALICE))
    anyone = gen(a, "imap://user1@example.test/Drafts/;uid=%d;urlauth=authuser" % uid)
    submit = gen(a, "imap://user1@example.test/Drafts/;uid=%d;urlauth=submit+%s" % (uid, ALICE))
    assert fetch(b, mine) is None          # user+ALICE is for ALICE only
    assert fetch(b, anyone) == body        # any logged-in user
    assert fetch(a, submit) is None        # submit+ is for the submission server only
    expired = gen(a, "imap://user1@example.test/Drafts/;uid=%d;expire=2001-01-01T00:00:00Z"
                     ";urlauth=authuser" % uid)
    assert fetch(b, expired) is None
    # only the logged-in user's own URLs can be authorized
    _, tagged = b.cmd('GENURLAUTH "imap://user1@example.test/Drafts/;uid=%d;urlauth=authuser"'
                      ' INTERNAL' % uid)
    assert tagged.split()[1] == b"NO", tagged
    _, tagged = a.cmd('GENURLAUTH "imap://user1@example.test/Drafts/;uid=%d" INTERNAL' % uid)
    assert tagged.split()[1] == b"NO", tagged   # no access identifier: not a rump

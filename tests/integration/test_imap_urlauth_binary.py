"""URLAUTH=BINARY (RFC 5524) through Python's imaplib: URLFETCH's (url BINARY / BODY /
BODYPARTSTRUCTURE) form gives a part with its Content-Transfer-Encoding undone (inside a
message/rfc822 part too, whose parts then say "binary"), its stored bytes, its body
structure; a bad parameter is BAD; a URL that is not valid is NIL."""
import imaplib
import re

import pytest

from conftest import PASSWORD, free_port

ALICE = "user1@example.test"

# imaplib knows neither command: both are valid in the authenticated and selected states
for _name in ("GENURLAUTH", "URLFETCH"):
    imaplib.Commands.setdefault(_name, ("AUTH", "SELECTED"))

MSG = (b"From: a@example.test\r\nSubject: bin\r\nMime-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
       b"--b1\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
       b"--b1\r\nContent-Type: application/octet-stream\r\n"
       b"Content-Transfer-Encoding: base64\r\n\r\nAAECA2hpAP8=\r\n"
       b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
       b"Subject: inner\r\nContent-Type: text/plain\r\n"
       b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nok\r\n"
       b"--b1--\r\n")


@pytest.fixture
def client(yubin_factory):
    port = free_port()
    yubin_factory(config={"imap_listen": "127.0.0.1:%d" % port}, users=[ALICE])
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(ALICE, PASSWORD)
    typ, data = c.append("INBOX", None, None, MSG)
    assert typ == "OK", data
    uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
    yield c, uid
    c.logout()


def genurl(c, uid, section):
    rump = "imap://%s/INBOX/;uid=%d%s;urlauth=user+%s" % (
        ALICE, uid, "/;section=" + section if section else "", ALICE)
    typ, data = c._simple_command("GENURLAUTH", '"%s"' % rump, "INTERNAL")
    assert typ == "OK", data
    _, urls = c._untagged_response(typ, data, "GENURLAUTH")
    return urls[0].decode().strip('"')


def urlfetch(c, *args):
    """The URLFETCH response's raw pieces: imaplib gives a (line, literal) tuple for each
    literal and the line text after it."""
    typ, data = c._simple_command("URLFETCH", *args)
    assert typ == "OK", data
    _, resp = c._untagged_response(typ, data, "URLFETCH")
    return resp


def test_capability(client):
    c, _ = client
    assert "URLAUTH=BINARY" in c.capabilities


def test_binary_of_a_base64_part(client):
    c, uid = client
    url = genurl(c, uid, "2")
    resp = urlfetch(c, '("%s" BINARY)' % url)
    head, data = resp[0]
    # RFC 3516 4.2: decoded data with a NUL goes as literal8
    assert head.endswith(b"(BINARY ~{8}"), head
    assert data == b"\x00\x01\x02\x03hi\x00\xff"
    assert resp[1] == b")"
    # BODY: the bytes as stored; the plain form the same
    resp = urlfetch(c, '("%s" BODY)' % url)
    assert resp[0][0].endswith(b"(BODY {12}") and resp[0][1] == b"AAECA2hpAP8="
    resp = urlfetch(c, '"%s"' % url)
    assert resp[0][1] == b"AAECA2hpAP8="


def test_bodypartstructure_and_nested_message(client):
    c, uid = client
    url = genurl(c, uid, "3")
    resp = urlfetch(c, '("%s" BODYPARTSTRUCTURE BINARY)' % url)
    head, data = resp[0]
    assert b'(BODYPARTSTRUCTURE ("message" "rfc822" ' in head, head
    # the encapsulated message's part decoded, its CTE field rewritten
    assert data == (b"Subject: inner\r\nContent-Type: text/plain\r\n"
                    b"Content-Transfer-Encoding: binary\r\n\r\ncaf\xc3\xa9 ok")
    # the structure gives the size of what was sent
    assert (b'"7bit" %d ' % len(data)) in head, head
    url1 = genurl(c, uid, "1")
    resp = urlfetch(c, '("%s" BODYPARTSTRUCTURE)' % url1)
    assert resp[0] == (b'%s (BODYPARTSTRUCTURE ("text" "plain" ("charset" "us-ascii") '
                       b'NIL NIL "7bit" 10 0 NIL NIL NIL NIL))' % url1.encode())


def test_bad_parameters_and_nil(client):
    c, uid = client
    url = genurl(c, uid, "1")
    for args in ('("%s" BODY BINARY)' % url, '("%s" SIZE)' % url, "()"):
        with pytest.raises(imaplib.IMAP4.error):
            c._simple_command("URLFETCH", args)
    # a wrong token: NIL, and the command still completes
    bad = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    resp = urlfetch(c, '("%s" BINARY)' % bad)
    assert resp[0] == b'%s NIL' % bad.encode()

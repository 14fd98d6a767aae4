"""IMAP BINARY (RFC 3516): FETCH BINARY[part]<partial>, BINARY.PEEK and BINARY.SIZE undo
base64 and quoted-printable, refuse other CTEs with NO [UNKNOWN-CTE]; APPEND takes a
literal8 (binary parts are stored base64-encoded and come back byte for byte through
BINARY[]), and a NUL in a plain literal is refused."""
import base64
import re

import pytest

from conftest import free_port
from test_imap_protocol import USER, Raw, caps_of, deliver, login

BIN = bytes(range(256)) + b"\x00\r\n\n\rend"
QP_IN = b"caf=C3=A9 =\r\nsoft  \r\nx=3D1\t\r\n"
QP_OUT = "café soft\r\nx=1".encode()  # the last CRLF belongs to the boundary
UU = b"begin 644 x\r\n#86)C\r\n`\r\nend\r\n"


def sample():
    b64 = base64.encodebytes(BIN).replace(b"\n", b"\r\n")
    return (b"From: a@remote.test\r\nTo: " + USER.encode() + b"\r\nSubject: bin\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
            b"--xx\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
            b"--xx\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: Quoted-Printable\r\n\r\n" + QP_IN +
            b"--xx\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: x-uuencode\r\n\r\n" + UU +
            b"--xx--\r\n")


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def literal_of(resp, item):
    """The bytes of item's literal in one FETCH response, and whether it was a literal8."""
    m = re.search(re.escape(item) + rb" (~?)\{(\d+)\}\r\n", resp)
    assert m, (item, resp[:300])
    start = m.end()
    return resp[start:start + int(m.group(2))], m.group(1) == b"~"


def test_capability_and_fetch_binary(imap):
    deliver(imap, raw=sample())
    c = Raw(imap.imap_port)
    c.login()
    _, tagged = c.ok("CAPABILITY")
    untagged, _ = c.ok("CAPABILITY")
    assert b"BINARY" in caps_of(untagged[0])
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.SIZE[2])")
    data, lit8 = literal_of(untagged[0], b"BINARY[1]")
    assert data == BIN and lit8  # a NUL: literal8 (RFC 3516 4.2)
    assert b"BINARY.SIZE[1] %d" % len(BIN) in untagged[0]
    assert b"BINARY.SIZE[2] %d" % len(QP_OUT) in untagged[0]
    untagged, _ = c.ok("FETCH 1 (BINARY.PEEK[2] BINARY.PEEK[1]<250.6>)")
    data, lit8 = literal_of(untagged[0], b"BINARY[2]")
    assert data == QP_OUT and not lit8
    data, lit8 = literal_of(untagged[0], b"BINARY[1]<250>")
    assert data == BIN[250:256] and not lit8
    # BINARY[] is the message as it is; a part that does not exist is empty
    untagged, _ = c.ok("FETCH 1 (BINARY.PEEK[] BINARY.PEEK[9] BINARY.SIZE[9])")
    assert literal_of(untagged[0], b"BINARY[]")[0].endswith(sample())  # after Received: etc.
    assert b'BINARY[9] ""' in untagged[0] and b"BINARY.SIZE[9] 0" in untagged[0]
    untagged, _ = c.ok("FETCH 1 (FLAGS)")
    assert b"\\Seen" not in untagged[0]


def test_unknown_cte_and_seen(imap):
    deliver(imap, raw=sample())
    c = Raw(imap.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    untagged, tagged = c.cmd("FETCH 1 (UID BINARY.PEEK[3])")
    assert tagged.split()[1] == b"NO" and b"[UNKNOWN-CTE]" in tagged, tagged
    assert not any(b"BINARY[3]" in u for u in untagged)
    untagged, tagged = c.cmd("FETCH 1 BINARY.SIZE[3]")
    assert b"[UNKNOWN-CTE]" in tagged, tagged
    # BODY[3] is still there, undecoded
    untagged, _ = c.ok("FETCH 1 BODY.PEEK[3]")
    assert literal_of(untagged[0], b"BODY[3]")[0] == UU[:-2]
    # BINARY without PEEK sets \Seen (RFC 3516 4.2, as BODY[] does)
    untagged, _ = c.ok("FETCH 1 BINARY[2]")
    assert b"\\Seen" in untagged[0]
    _, tagged = c.cmd("FETCH 1 BINARY[HEADER]")
    assert tagged.split()[1] == b"BAD", tagged


def test_append_literal8(imap):
    body = b"\x00-\xe4\n\r\n\r\r\n"
    msg = (b"From: a@remote.test\r\nMime-Version: 1.0\r\n"
           b"Content-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n" + body)
    c = Raw(imap.imap_port)
    c.login()
    _, tagged = c.ok(b"APPEND INBOX ~{%d+}\r\n" % len(msg) + msg)
    assert b"[APPENDUID " in tagged
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BINARY.PEEK[1] BINARY.SIZE[1])")
    stored, _ = literal_of(untagged[0], b"BODY[1]")
    assert b"\x00" not in stored and base64.b64decode(stored) == body
    assert b"base64" in literal_of(untagged[0], b"BODY[1.MIME]")[0]
    data, lit8 = literal_of(untagged[0], b"BINARY[1]")
    assert data == body and lit8
    assert b"BINARY.SIZE[1] %d" % len(body) in untagged[0]
    # a NUL in a plain literal: refused, nothing stored (RFC 3501 9: CHAR8 has no NUL)
    _, tagged = c.cmd(b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
    assert tagged.split()[1] == b"NO", tagged
    untagged, _ = c.ok("NOOP")
    assert not any(b"EXISTS" in u for u in untagged)
    imap_client = login(imap)
    typ, data = imap_client.select("INBOX")
    assert typ == "OK" and data == [b"1"]
    imap_client.logout()


def test_catenate_literal8_parts(imap):
    """RFC 3516 with RFC 4469: TEXT parts may be literal8; a binary part split over two of
    them (header in one, body in the next) is still stored base64 and comes back whole, and
    a literal8 of plain text is fine."""
    hdr = (b"From: a@remote.test\r\nMime-Version: 1.0\r\n"
           b"Content-Transfer-Encoding: binary\r\n\r\n")
    body = b"\x00\x01\x02 binary \xff\r\n"
    c = Raw(imap.imap_port)
    c.login()
    c.ok(b"APPEND INBOX CATENATE (TEXT ~{%d+}\r\n" % len(hdr) + hdr +
         b" TEXT ~{%d+}\r\n" % len(body) + body + b")")
    c.ok(b"APPEND INBOX CATENATE (TEXT ~{%d+}\r\n" % len(b"Subject: t\r\n\r\nplain\r\n") +
         b"Subject: t\r\n\r\nplain\r\n)")
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1:2 (BODY.PEEK[] BINARY.PEEK[1])")
    stored, _ = literal_of(untagged[0], b"BODY[]")
    assert b"\x00" not in stored and b"Content-Transfer-Encoding: base64" in stored
    assert literal_of(untagged[0], b"BINARY[1]") == (body, True)
    assert literal_of(untagged[1], b"BODY[]")[0] == b"Subject: t\r\n\r\nplain\r\n"

"""COMPRESS=DEFLATE (RFC 4978): after the tagged OK both directions are raw deflate, over
plain TCP and over TLS (implicit and after STARTTLS); each response is flushed at once (an IDLE client sees EXISTS
without sending anything), big FETCH output streamed from the file comes through, a second
COMPRESS is NO [COMPRESSIONACTIVE], and a corrupt stream ends the connection."""
import time
import zlib

import pytest

from conftest import free_port
from test_imap_protocol import Raw, caps_of, deliver, tls_ctx


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imaps_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    srv.imaps_port = int(srv.settings["imaps_listen"].rsplit(":", 1)[1])
    return srv


class Deflated(Raw):
    """Raw, but once compress() has run, bytes go through raw deflate both ways."""

    def compress(self):
        _, tagged = self.cmd("COMPRESS DEFLATE")
        assert tagged.split()[1] == b"OK", tagged
        # RFC 4978 3: nothing after the OK was sent in clear
        assert self.buf == b"", self.buf
        self.z_out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.z_in = zlib.decompressobj(-15)

    def send(self, data):
        if hasattr(self, "z_out"):
            data = self.z_out.compress(data) + self.z_out.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += self.z_in.decompress(data) if hasattr(self, "z_in") else data


def session(imap, tls=False):
    c = Deflated(imap.imaps_port if tls == "implicit" else imap.imap_port,
                 tls=tls == "implicit")
    if tls == "starttls":
        _, tagged = c.cmd("STARTTLS")
        assert tagged.split()[1] == b"OK", tagged
        c.sock = tls_ctx().wrap_socket(c.sock)
    assert b"COMPRESS=DEFLATE" not in caps_of(c.greeting)  # only once logged in
    _, tagged = c.cmd("COMPRESS DEFLATE")
    assert tagged.split()[1] in (b"BAD", b"NO"), tagged  # not before login
    _, tagged = c.login()
    assert b"COMPRESS=DEFLATE" in caps_of(tagged)
    c.compress()
    return c


@pytest.mark.parametrize("tls", [False, "implicit", "starttls"])
def test_compressed_session(imap, tls):
    big = "".join("line %d of a long body, %s\r\n" % (i, "x" * (i % 50)) for i in range(12000))
    deliver(imap, body=big, subject="big")
    c = session(imap, tls)
    untagged, _ = c.ok("SELECT INBOX")
    assert any(b"1 EXISTS" in u for u in untagged)
    # a body of about 600 KB: streamed from the file (>= 256 KiB), deflated on the way
    untagged, _ = c.ok("FETCH 1 BODY.PEEK[TEXT]")
    assert big.encode() in untagged[0]
    _, tagged = c.ok(b"APPEND INBOX {13+}\r\nSubject: a\r\n\r\n")
    assert b"APPENDUID" in tagged
    _, tagged = c.cmd("COMPRESS DEFLATE")
    assert tagged.split()[1] == b"NO" and b"[COMPRESSIONACTIVE]" in tagged, tagged
    untagged, tagged = c.cmd("LOGOUT")
    assert any(u.startswith(b"* BYE") for u in untagged) and b" OK" in tagged


def test_idle_push_is_flushed(imap):
    c = session(imap)
    c.ok("SELECT INBOX")
    tag = c.tag()
    c.send(tag + b" IDLE\r\n")
    assert c.response().startswith(b"+")
    t0 = time.monotonic()
    deliver(imap, subject="pushed")
    c.sock.settimeout(10)
    r = c.response()
    assert r == b"* 1 EXISTS\r\n" or b"EXISTS" in r, r
    assert time.monotonic() - t0 < 5  # pushed, not held until the client writes
    c.send(b"DONE\r\n")
    _, tagged = c.until_tagged(tag)
    assert tagged.split()[1] == b"OK"


def test_corrupt_stream_closes(imap):
    c = session(imap)
    c.sock.sendall(b"\xff\xff\xff\xff garbage that is not deflate")
    c.sock.settimeout(10)
    with pytest.raises((EOFError, ConnectionResetError)):
        while True:
            c.fill()
    # the server goes on
    d = session(imap)
    d.ok("NOOP")

"""TLS: STARTTLS (RFC 3207) on the smtp and submission ports, implicit TLS on submissions
(RFC 8314), the generated self-signed certificate, the Received header's TLS details, and the
STARTTLS command injection class (bytes pipelined after STARTTLS must be discarded)."""
import os
import re
import ssl

from helpers import header_values, make_msg, send_raw_message, split_prefix
from smtpraw import RawSMTP, tls_client_context


def test_starttls_then_deliver(server):
    msg = make_msg(subject="over tls")
    with server.raw() as c:
        ehlo = c.greet()
        assert "STARTTLS" in [line.upper() for line in ehlo.lines[1:]]
        c.starttls()
        version, cipher = c.sock.version(), c.sock.cipher()[0]
        assert version in ("TLSv1.2", "TLSv1.3"), version
        r = c.expect("EHLO client.example.test", 250)
        assert "STARTTLS" not in [line.upper() for line in r.lines[1:]], r
        r = send_raw_message(c, "sender@client.example.test", ["alice@example.test"], msg)
        assert r.code == 250, r
        c.expect("NOOP", 250)
    headers = split_prefix(server.messages("alice@example.test")[0], msg)
    rec = header_values(headers, "received")[0]
    assert version in rec, rec
    assert cipher in rec, rec
    assert re.search(r"\bwith ESMTPS\b", rec), rec


def test_quit_after_starttls_gets_221(server):
    """The 221 to QUIT is flushed through TLS before the close, on an upgraded connection as
    on an implicit-TLS one."""
    with server.raw() as c:
        c.greet()
        c.starttls()
        c.expect("EHLO client.example.test", 250)
        r = c.cmd("QUIT")
        assert r.code == 221, r
        c.wait_closed()
    with RawSMTP(server.host, server.submissions_port, tls=True) as c:
        assert c.reply().code == 220
        c.expect("EHLO client.example.test", 250)
        c.expect("QUIT", 221)
        c.wait_closed()


def test_starttls_with_smtplib(server):
    with server.smtp() as s:
        assert s.has_extn("starttls")
        code, _ = s.starttls(context=tls_client_context())
        assert code == 220
        s.ehlo()
        assert not s.has_extn("starttls")
        assert s.sendmail("sender@client.example.test", ["bob@example.test"], make_msg()) == {}
    assert server.count("bob@example.test") == 1


def test_session_reset_after_starttls(server):
    """RFC 3207 4.2: the server forgets everything from before TLS, EHLO included."""
    with server.raw() as c:
        c.greet()
        c.starttls()
        r = c.cmd("MAIL FROM:<sender@client.example.test>")
        assert r.code == 503, r
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<sender@client.example.test>", 250)


def test_starttls_twice_refused(server):
    with server.raw() as c:
        c.greet()
        c.starttls()
        c.expect("EHLO client.example.test", 250)
        r = c.cmd("STARTTLS")
        assert 500 <= r.code < 600, r
        c.expect("NOOP", 250)


def test_starttls_injection_discarded(server):
    """Commands sent in cleartext right after STARTTLS, before the handshake, are never run
    (CVE-2011-0411 class): neither their replies nor their effects appear inside TLS."""
    with server.raw() as c:
        c.greet()
        c.send(b"STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<bob@example.test>\r\n"
               b"NOOP\r\n")
        r = c.reply()
        assert r.code == 220, r
        c.buf = b""
        c.sock = tls_client_context().wrap_socket(c.sock)
        r = c.cmd("EHLO client.example.test")
        assert r.code == 250 and len(r.lines) > 1, "first reply inside TLS: %r" % r
        assert c.nothing_pending()
        r = c.cmd("RCPT TO:<bob@example.test>")
        assert r.code == 503, "injected MAIL FROM was run: %r" % r
        r = c.cmd("DATA")
        assert r.code == 503, r
    assert server.count("bob@example.test") == 0


def test_starttls_injection_with_data(server):
    with server.raw() as c:
        c.greet()
        c.send(b"STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<bob@example.test>\r\n"
               b"DATA\r\nSubject: injected\r\n\r\nevil\r\n.\r\n")
        assert c.reply().code == 220
        c.buf = b""
        c.sock = tls_client_context().wrap_socket(c.sock)
        c.expect("EHLO client.example.test", 250)
        assert c.nothing_pending()
        c.expect("NOOP", 250)
    assert server.count("bob@example.test") == 0


def test_implicit_tls_submissions(server):
    with RawSMTP(server.host, server.submissions_port, tls=True) as c:
        assert c.sock.version() in ("TLSv1.2", "TLSv1.3")
        r = c.reply()
        assert r.code == 220, r
        r = c.expect("EHLO client.example.test", 250)
        assert "STARTTLS" not in [line.upper() for line in r.lines[1:]], r
        c.expect("QUIT", 221)


def test_submissions_port_requires_tls(server):
    """A cleartext client on the implicit-TLS port gets no SMTP greeting in clear."""
    with server.raw(port=server.submissions_port, timeout=5) as c:
        c.send(b"EHLO client.example.test\r\n")
        try:
            data = c.wait_closed(timeout=5)
        except AssertionError:
            data = c.buf
        assert not data.startswith(b"220"), data[:100]
        assert b"250" not in data


def test_submission_port_offers_starttls(server):
    with server.raw(port=server.submission_port) as c:
        ehlo = c.greet()
        assert "STARTTLS" in [line.upper() for line in ehlo.lines[1:]]
        c.starttls()
        c.expect("EHLO client.example.test", 250)


def test_generated_certificate_is_served(server):
    certs = []
    for dirpath, _dirs, files in os.walk(server.data_dir):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    head = f.read(1 << 16)
            except OSError:
                continue
            if b"-----BEGIN CERTIFICATE-----" in head:
                certs.append(head)
    assert certs, "no certificate generated in data_directory"
    with RawSMTP(server.host, server.submissions_port, tls=True) as c:
        der = c.sock.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der).encode()
    body = lambda p: b"".join(p.split(b"-----")[2].split())  # noqa: E731
    assert any(body(pem) in b"".join(c.split()) for c in certs)
    # the certificate survives a restart (not regenerated)
    server.restart()
    with RawSMTP(server.host, server.submissions_port, tls=True) as c:
        assert c.sock.getpeercert(binary_form=True) == der


def test_tls_handshake_garbage_does_not_hurt(server):
    with server.raw(port=server.submissions_port, timeout=5) as c:
        c.send(b"\x16\x03\x01\x00\x05hello" + os.urandom(2000))
        try:
            c.wait_closed(timeout=5)
        except AssertionError:
            pass
    with server.raw() as c:
        c.greet()
        c.starttls()
        c.expect("EHLO client.example.test", 250)

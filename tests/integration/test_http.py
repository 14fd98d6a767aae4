"""The HTTP listener (issue 10): Thunderbird autoconfig, Autodiscover and the Apple profile
fetched with curl and validated with xmllint, the MTA-STS policy, the settings page in
English and Japanese, /healthz, and bad requests (malformed, huge, slow) answered with
400/413/408 at no other cost."""
import socket
import ssl
import subprocess
import time

import pytest

from conftest import free_port
from helpers import wait_until

USER = "alice@example.test"
AUTODISCOVER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/'
    'requestschema/2006">\n  <Request>\n    <EMailAddress>%s</EMailAddress>\n'
    '    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/'
    'outlook/responseschema/2006a</AcceptableResponseSchema>\n  </Request>\n'
    '</Autodiscover>\n')


@pytest.fixture
def web(yubin_factory):
    ports = {k: free_port() for k in ("http", "https", "metrics", "imap", "imaps", "pop3s")}
    srv = yubin_factory(config={
        "http_listen": "127.0.0.1:%d" % ports["http"],
        "https_listen": "127.0.0.1:%d" % ports["https"],
        "metrics_listen": "127.0.0.1:%d" % ports["metrics"],
        "imap_listen": "127.0.0.1:%d" % ports["imap"],
        "imaps_listen": "127.0.0.1:%d" % ports["imaps"],
        "pop3s_listen": "127.0.0.1:%d" % ports["pop3s"],
        "http_timeout": "2",
        "http_max_header_size": "4096",
        "http_max_body_size": "8192",
    })
    srv.ports = ports
    srv.http = "http://127.0.0.1:%d" % ports["http"]
    srv.https = "https://127.0.0.1:%d" % ports["https"]
    srv.metrics_url = "http://127.0.0.1:%d" % ports["metrics"]
    wait_until(lambda: _connects(ports["metrics"]), timeout=10)
    return srv


def _connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def curl(url, *args):
    """(status, headers text, body bytes) of one request with curl."""
    p = subprocess.run(["curl", "-sk", "-D", "-", "-o", "/dev/stderr", "--max-time", "20",
                        url] + list(args), capture_output=True, timeout=30)
    head = p.stdout.decode("latin-1")
    status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else 0
    return status, head, p.stderr


def xmllint(data):
    p = subprocess.run(["xmllint", "--noout", "-"], input=data, capture_output=True,
                       timeout=30)
    assert p.returncode == 0, "not well-formed XML: %s\n%s" % (p.stderr.decode(), data[:500])


@pytest.mark.parametrize("path", ["/.well-known/autoconfig/mail/config-v1.1.xml",
                                  "/mail/config-v1.1.xml"])
def test_autoconfig(web, path):
    status, head, body = curl(web.http + path + "?emailaddress=" + USER)
    assert status == 200 and "application/xml" in head
    xmllint(body)
    text = body.decode()
    assert "<username>%s</username>" % USER in text
    assert "<hostname>mx.example.test</hostname>" in text
    # implicit TLS first (RFC 8314 3.3), then STARTTLS; the ports the config listens on
    assert ("<port>%d</port>\n      <socketType>SSL</socketType>" % web.ports["imaps"]) in text
    assert ("<port>%d</port>\n      <socketType>STARTTLS</socketType>"
            % web.ports["imap"]) in text
    assert '<outgoingServer type="smtp">' in text
    assert ("<port>%d</port>\n      <socketType>SSL</socketType>"
            % web.submissions_port) in text
    # without an address: Thunderbird's placeholder; over HTTPS the same
    status, _, body = curl(web.https + path)
    assert status == 200
    xmllint(body)
    assert b"<username>%EMAILADDRESS%</username>" in body


def test_autoconfig_refuses_foreign_and_malformed(web):
    url = web.http + "/mail/config-v1.1.xml?emailaddress="
    assert curl(url + "bob@elsewhere.test")[0] == 404
    assert curl(url + "%3Cscript%3E@example.test")[0] == 400
    assert curl(url + "no-at-sign")[0] == 400


def test_autodiscover(web):
    status, head, body = curl(web.http + "/autodiscover/autodiscover.xml", "-X", "POST",
                              "-H", "Content-Type: text/xml", "--data-binary",
                              AUTODISCOVER % USER)
    assert status == 200 and "application/xml" in head
    xmllint(body)
    text = body.decode()
    assert text.count("<Protocol>") == 5  # imaps, imap, pop3s, submissions, submission
    assert "<LoginName>%s</LoginName>" % USER in text
    assert "<Type>IMAP</Type>" in text and "<Type>SMTP</Type>" in text
    assert "<Type>POP3</Type>" in text
    assert "<Encryption>SSL</Encryption>" in text and "<Encryption>TLS</Encryption>" in text
    # Outlook's capitalised path, with a prefixed element
    status, _, body = curl(web.https + "/Autodiscover/Autodiscover.xml", "--data-binary",
                           AUTODISCOVER.replace("EMailAddress", "a:EMailAddress") % USER)
    assert status == 200
    xmllint(body)


@pytest.mark.parametrize("body", ["", "not xml", AUTODISCOVER % "", AUTODISCOVER % "x&amp;y@example.test",
                                  AUTODISCOVER % "<b>alice@example.test</b>",
                                  "<EMailAddress>alice@example.test"])
def test_autodiscover_bad_requests(web, body):
    status, _, _ = curl(web.http + "/autodiscover/autodiscover.xml", "--data-binary", body)
    assert status == 400


def test_autodiscover_method_and_domain(web):
    assert curl(web.http + "/autodiscover/autodiscover.xml")[0] == 405
    status, _, _ = curl(web.http + "/autodiscover/autodiscover.xml", "--data-binary",
                        AUTODISCOVER % "eve@elsewhere.test")
    assert status == 404


def test_mobileconfig(web):
    status, head, body = curl(web.https + "/mail/config.mobileconfig?emailaddress=" + USER)
    assert status == 200 and "application/x-apple-aspen-config" in head
    assert "attachment" in head
    xmllint(body)
    text = body.decode()
    assert "<string>EmailTypeIMAP</string>" in text
    assert "<key>IncomingMailServerPortNumber</key>\n      <integer>%d</integer>" \
        % web.ports["imaps"] in text
    assert text.count("<string>%s</string>" % USER) >= 4
    # the same UUIDs on a second download: a re-install replaces the profile
    assert curl(web.https + "/mail/config.mobileconfig?emailaddress=" + USER)[2] == body
    assert curl(web.http + "/mail/config.mobileconfig")[0] == 400


def test_mta_sts_policy(web, yubin_factory):
    status, head, body = curl(web.https + "/.well-known/mta-sts.txt")
    assert status == 200 and "text/plain" in head
    assert body == (b"version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\n"
                    b"max_age: 604800\r\n")
    port = free_port()
    other = yubin_factory(config={"http_listen": "127.0.0.1:%d" % port,
                                  "mta_sts_mode": "enforce", "mta_sts_max_age": "2w"})
    assert wait_until(lambda: _connects(port))
    body = curl("http://127.0.0.1:%d/.well-known/mta-sts.txt" % port)[2]
    assert b"mode: enforce\r\n" in body and b"max_age: 1209600\r\n" in body


def test_settings_page_languages(web):
    status, head, body = curl(web.http + "/?emailaddress=" + USER)
    assert status == 200 and "text/html" in head
    text = body.decode()
    assert '<html lang="en">' in text and "Receiving mail" in text
    assert "<td>%d</td>" % web.ports["imaps"] in text and "<td>SSL/TLS</td>" in text
    assert "<td>STARTTLS</td>" in text and "<td>%s</td>" % USER in text
    assert "config.mobileconfig?emailaddress=" in text
    status, head, body = curl(web.http + "/", "-H", "Accept-Language: ja-JP,ja;q=0.9,en;q=0.8")
    text = body.decode()
    assert status == 200 and '<html lang="ja">' in text and "受信" in text
    assert "Content-Language: ja" in head
    # English preferred over Japanese by q
    text = curl(web.http + "/", "-H", "Accept-Language: ja;q=0.4, en-GB;q=0.9")[2].decode()
    assert '<html lang="en">' in text


def test_settings_page_escapes(web):
    evil = '"><script>alert(1)</script>@example.test'
    status, _, body = curl(web.http + "/", "-G", "--data-urlencode", "emailaddress=" + evil)
    assert status == 200
    assert b"<script>" not in body and b"alert(1)" not in body


def test_healthz_and_metrics_only_on_metrics_listener(web):
    assert curl(web.http + "/healthz")[1:3] and curl(web.http + "/healthz")[0] == 200
    assert curl(web.metrics_url + "/healthz")[2] == b"ok\n"
    assert curl(web.http + "/metrics")[0] == 404
    assert curl(web.https + "/metrics")[0] == 404
    assert curl(web.metrics_url + "/metrics")[0] == 200
    assert curl(web.metrics_url + "/")[0] == 404


def raw_http(port, data, timeout=15, tls=False):
    """Sends data (bytes, or a list of (bytes, pause) pieces) and returns everything the
    server answers until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    pieces = data if isinstance(data, list) else [(data, 0)]
    try:
        for piece, pause in pieces:
            s.sendall(piece)
            time.sleep(pause)
    except OSError:
        pass
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (OSError, ssl.SSLError):
        pass
    s.close()
    return out


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.") else 0


def test_bad_requests_cost_nothing_else(web):
    port = web.ports["http"]
    assert status_of(raw_http(port, b"GARBAGE\r\n\r\n")) == 400
    assert status_of(raw_http(port, b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n")) == 400
    huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert status_of(raw_http(port, huge)) in (400, 413, 431)
    body = b"x" * 20000
    big = (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    assert status_of(raw_http(port, big)) == 413
    # slow: the request line, then nothing; and a TLS client that stops mid-headers
    t = time.monotonic()
    resp = raw_http(port, [(b"GET / HTTP/1.1\r\n", 0)])
    took = time.monotonic() - t
    assert status_of(resp) == 408, resp[:100]
    assert 1.5 <= took < 12, took
    resp = raw_http(web.ports["https"], [(b"GET / HTTP/1.1\r\nHost: x\r\n", 0)], tls=True)
    assert status_of(resp) == 408
    # a line feed in the path does not make a second log line
    assert status_of(raw_http(port, b"GET /x%0Aforged: line HTTP/1.1\r\nHost: x\r\n\r\n")) == 404
    assert not any(l.startswith("forged") for l in web.log().splitlines())
    assert "GET /x?forged: line status=404" in web.log()
    # nothing left behind: every connection closed, the server still answers
    assert curl(web.http + "/healthz")[0] == 200
    metrics = curl(web.metrics_url + "/metrics")[2].decode()
    assert 'yubin_connections{protocol="http"} 0' in metrics
    assert 'yubin_connections{protocol="https"} 0' in metrics


def test_slow_clients_do_not_block_others(web):
    """Many slow connections at once: each gets its 408, and meanwhile requests are
    answered at once."""
    socks = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", web.ports["http"]), timeout=15)
        s.sendall(b"GET / HTTP/1.1\r\nHo")
        socks.append(s)
    t = time.monotonic()
    assert curl(web.http + "/healthz")[0] == 200
    # well before the 2 s deadline of the slow ones: not queued behind them
    assert time.monotonic() - t < 1.8
    for s in socks:
        resp = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            resp += d
        s.close()
        assert status_of(resp) == 408


def test_connection_limit(yubin_factory):
    """At http_max_connections the listener stops accepting; the connections that end (here
    by their 408) make room again."""
    port = free_port()
    srv = yubin_factory(config={"http_listen": "127.0.0.1:%d" % port, "http_timeout": "2",
                                "http_max_connections": "3"})
    assert wait_until(lambda: _connects(port))
    held = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(b"GET / HTTP/1.1\r\n")
        held.append(s)
    time.sleep(0.3)
    # the kernel completes the handshake (backlog), but yubin reads nothing yet
    assert curl("http://127.0.0.1:%d/healthz" % port, "--max-time", "1")[0] == 0
    for s in held:
        assert s.recv(4096).startswith(b"HTTP/1.1 408 ")
        s.close()
    assert wait_until(lambda: curl("http://127.0.0.1:%d/healthz" % port)[0] == 200, timeout=10)
    assert "http_max_connections" in srv.log()

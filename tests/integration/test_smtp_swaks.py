"""The same server driven by swaks, an independent SMTP client: plain, STARTTLS, implicit
TLS, pipelining, several recipients, and a rejected recipient."""
import shutil
import subprocess

import pytest

from helpers import header_values, split_prefix

pytestmark = pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")


def swaks(server, *args, port=None, check=True):
    cmd = ["swaks", "--server", "%s:%d" % (server.host, port or server.smtp_port),
           "--helo", "swaks.example.test", "--from", "swaks@client.example.test",
           "--timeout", "30"] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    if check:
        assert p.returncode == 0, "swaks failed (%d):\n%s" % (p.returncode, out)
    return p.returncode, out


def body_of(stored):
    return stored.split(b"\r\n\r\n", 1)[1]


def test_swaks_plain(server):
    swaks(server, "--to", "alice@example.test", "--body", "hello from swaks",
          "--header", "Subject: swaks plain")
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    assert b"Subject: swaks plain\r\n" in stored[0]
    assert body_of(stored[0]).startswith(b"hello from swaks")


def test_swaks_starttls(server):
    _, out = swaks(server, "--tls", "--to", "bob@example.test", "--header", "Subject: swaks tls")
    assert "TLS started" in out, out
    stored = server.messages("bob@example.test")
    assert len(stored) == 1
    added = stored[0].split(b"Subject: swaks tls")[0]
    assert b"ESMTPS" in added and b"TLSv1." in added, added


def test_swaks_implicit_tls(server):
    _, out = swaks(server, "--tls-on-connect", "--quit-after", "EHLO",
                   port=server.submissions_port)
    assert "TLS started" in out, out
    assert "<~  220 " in out and "<~  250 " in out, out


def test_swaks_pipelining_several_rcpts(server):
    swaks(server, "--pipeline", "--to", "alice@example.test,carol@example.test,team@example.test",
          "--header", "Subject: swaks pipe")
    # alice is named directly and through the alias team: one copy or two, never zero
    assert server.count("alice@example.test") in (1, 2)
    assert server.count("carol@example.test") == 1
    assert server.count("bob@example.test") == 1
    assert server.count("dave@example.test") == 0
    assert b"Subject: swaks pipe" in server.messages("carol@example.test")[0]


def test_swaks_rejected_recipient(server):
    rc, out = swaks(server, "--to", "nosuch@example.test", check=False)
    assert rc != 0
    assert "550 5.1.1" in out, out
    assert server.count("alice@example.test") == 0


def test_swaks_relay_denied(server):
    rc, out = swaks(server, "--to", "someone@remote.example", check=False)
    assert rc != 0
    assert "554 5.7.1" in out, out


def test_swaks_data_file_exact(server, tmp_path):
    msg = (b"From: a@client.example.test\r\nTo: alice@example.test\r\nSubject: file\r\n\r\n"
           b".dot first\r\n..two dots\r\nplain")
    path = tmp_path / "msg.eml"
    path.write_bytes(msg)
    swaks(server, "--to", "alice@example.test", "--data", "@%s" % path)
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    # swaks ends the data with CRLF . CRLF after the file's last line
    headers = split_prefix(stored[0], msg + b"\r\n")
    assert header_values(headers, "return-path") == ["<swaks@client.example.test>"]

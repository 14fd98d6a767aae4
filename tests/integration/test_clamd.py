"""Virus scanning (docs/filters.md): clamd over INSTREAM (unix socket and TCP), clamd down
or too slow (clamd_default_action), and the same EICAR result through clamav-milter as an
ordinary milter. clamd starts once for the module, with a one-line signature database."""
import socket
import smtplib
import threading

import pytest

from conftest import free_port
from filterd import EICAR, EICAR_SIG, Clamd, ClamavMilter, have
from helpers import make_msg

pytestmark = pytest.mark.skipif(not have("clamd", "clamav-milter"),
                                reason="clamav-daemon/clamav-milter not installed")


@pytest.fixture(scope="module")
def clamd():
    c = Clamd()
    yield c
    c.stop()


def eicar_msg():
    return (b"From: a@client.example.test\r\nTo: alice@example.test\r\nSubject: eicar\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            b"--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; filename=eicar.com\r\n\r\n"
            + EICAR + b"\r\n--b--\r\n")


def send(server, msg, rcpt="alice@example.test"):
    with server.smtp() as s:
        try:
            s.sendmail("s@client.example.test", [rcpt], msg)
            return 250, b""
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error


@pytest.mark.parametrize("where", ["unix", "inet"])
def test_virus_refused_clean_delivered(yubin_factory, clamd, where):
    spec = "unix:" + clamd.sock if where == "unix" else "inet:127.0.0.1:%d" % clamd.port
    server = yubin_factory(config={"clamd_socket": spec})
    code, text = send(server, eicar_msg())
    assert code == 554, text
    assert text.decode() == "5.7.1 Virus found: " + EICAR_SIG
    assert server.count("alice@example.test") == 0  # nothing stored
    assert send(server, make_msg(body=b"clean\r\n"))[0] == 250
    assert server.count("alice@example.test") == 1


def test_clamd_down_default_action(yubin_factory, tmp_path):
    gone = "unix:%s/nothing.sock" % tmp_path
    server = yubin_factory(config={"clamd_socket": gone})
    code, text = send(server, make_msg())
    assert code == 451, text
    assert server.count("alice@example.test") == 0
    server.settings["clamd_default_action"] = "accept"
    server.write_config()
    server.restart()
    assert send(server, make_msg())[0] == 250
    assert server.count("alice@example.test") == 1


def test_clamd_late_times_out(yubin_factory):
    """A clamd that accepts and never answers: clamd_timeout, then the default action."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", free_port()))
    lsock.listen(8)
    held = []
    stop = threading.Event()

    def accept_and_hold():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lsock.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept_and_hold, daemon=True)
    t.start()
    try:
        server = yubin_factory(config={
            "clamd_socket": "inet:127.0.0.1:%d" % lsock.getsockname()[1],
            "clamd_timeout": "1s", "clamd_default_action": "reject"})
        code, text = send(server, make_msg())
        assert code == 550, text
        assert server.count("alice@example.test") == 0
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        lsock.close()


def test_clamav_milter(yubin_factory, clamd):
    milter = ClamavMilter(clamd)
    try:
        server = yubin_factory(config={"smtpd_milters": "inet:127.0.0.1:%d" % milter.port})
        code, text = send(server, eicar_msg())
        assert code == 550, text
        assert text.decode() == "5.7.1 Virus found: " + EICAR_SIG
        assert server.count("alice@example.test") == 0
        assert send(server, make_msg(body=b"clean\r\n"))[0] == 250
        stored = server.messages("alice@example.test")
        assert len(stored) == 1
        assert b"X-Virus-Status: Clean" in stored[0]
    finally:
        milter.stop()


def test_stream_bounded_by_clamd_max_stream(yubin_factory, clamd):
    """clamd (StreamMaxLength 1M here) refuses a longer stream outright: a 1.5 MB message is
    sent only up to clamd_max_stream, and scanned; past clamd's limit it is an error."""
    big = make_msg(body=(b"y" * 998 + b"\r\n") * 1500)
    spec = "unix:" + clamd.sock
    server = yubin_factory(config={"clamd_socket": spec, "clamd_max_stream": "512k"})
    assert send(server, big)[0] == 250
    assert server.count("alice@example.test") == 1
    over = yubin_factory(config={"clamd_socket": spec, "clamd_max_stream": "4m"})
    code, text = send(over, big)
    assert code == 451, text  # "INSTREAM size limit exceeded": clamd_default_action

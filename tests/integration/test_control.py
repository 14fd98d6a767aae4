"""The control socket (data_directory/control.sock, mode 0600, the server's user): `yubin
status` shows uptime, listeners, sessions per protocol, the queue and the certificate's
expiry from the running server; `yubin queue flush` goes through it (the log says
"control: queue flush", not SIGUSR1) and the deferred message is delivered at once; bad
requests (too long, unknown) get a 500 and cost the server nothing."""
import os
import re
import socket
import stat
import time

from conftest import Server
from helpers import make_msg, wait_until
from relay_helpers import (default_data_template, fake_smtp_factory, free_port,  # noqa: F401
                           queue_rows, wait_log, wait_queue_empty)
from smtpraw import RawSMTP


def control(server, line):
    """The raw reply to one request line (bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(server.data_dir, "control.sock"))
    try:
        s.sendall(line)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()


def status(server):
    p = server.cli("status")
    return p.stdout.decode()


def test_status_and_flush_through_the_socket(yubin_factory, fake_smtp_factory):  # noqa: F811
    relay_port = free_port()
    server = yubin_factory(config={"relayhost": "[127.0.0.1]:%d" % relay_port,
                                   "mynetworks": "127.0.0.0/8", "minimal_backoff_time": "1h",
                                   "maximal_backoff_time": "2h"})
    sock = os.path.join(server.data_dir, "control.sock")
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_uid == os.geteuid()

    out = status(server)
    assert re.search(r"^uptime \d+ s$", out, re.M), out
    assert "listener smtp_listen 127.0.0.1:%d" % server.smtp_port in out, out
    assert "listener submission_listen 127.0.0.1:%d" % server.submission_port in out, out
    assert "queue 0 messages" in out, out
    m = re.search(r"^certificate .*CN\s*=\s*mx\.example\.test expires (\S+) \(in (\d+) days\)$",
                  out, re.M)
    assert m and int(m.group(2)) > 30, out
    assert "sessions smtp 0" in out, out

    # two SMTP sessions open: counted
    with RawSMTP(server.host, server.smtp_port) as c1, RawSMTP(server.host,
                                                               server.smtp_port) as c2:
        assert c1.reply().code == 220 and c2.reply().code == 220
        assert "sessions smtp 2" in status(server)

    # a message for the relayhost, which is down: deferred, an hour's backoff
    s = server.smtp()
    s.sendmail("alice@example.test", ["bob@remote.test"], make_msg(subject="waiting"))
    s.quit()
    assert wait_log(server, "status=deferred"), server.log_tail()
    out = status(server)
    m = re.search(r"^queue 1 messages, oldest (\d+) s$", out, re.M)
    assert m and int(m.group(1)) < 600, out
    time.sleep(2.5)  # the scheduler must see it as not due first (test_relay_flush.py)

    fake = fake_smtp_factory("127.0.0.1", relay_port)
    p = server.cli("queue", "flush")
    assert "the server was told" in p.stdout.decode()
    log = server.log()
    assert "control: queue flush" in log and "SIGUSR1" not in log, server.log_tail()
    assert wait_until(lambda: len(fake.messages) == 1, timeout=15), server.log_tail()
    assert wait_queue_empty(server)
    assert "queue 0 messages" in status(server)


def test_bad_requests(yubin_factory):
    server = yubin_factory(users=[], aliases={})
    assert control(server, b"bogus\n").startswith(b"500 unknown request")
    assert control(server, b"x" * 600).startswith(b"500 request line too long")
    # a flood: the server reads no more than a line's worth, answers and closes (the
    # client may see the reply or, having unread data refused, a reset)
    try:
        assert control(server, b"x" * 1000000).startswith(b"500 request line too long")
    except (ConnectionResetError, BrokenPipeError):
        pass
    assert "uptime" in status(server)
    # a request line in pieces, CRLF-ended
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(server.data_dir, "control.sock"))
    s.sendall(b"sta")
    time.sleep(0.2)
    s.sendall(b"tus\r\n")
    data = b""
    while not data.endswith(b"200 ok\n"):
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    s.close()
    lines = data.decode().splitlines()
    assert all(line.startswith("200-") for line in lines[:-1]) and lines[-1] == "200 ok"
    # a client that closes its side after the request (`printf status | nc -UN`), with
    # and without the line end, still gets the whole reply
    for req in (b"status\n", b"status"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(os.path.join(server.data_dir, "control.sock"))
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"200-uptime") and data.endswith(b"200 ok\n"), (req, data)
    # a client that connects and says nothing does not stop the others
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(os.path.join(server.data_dir, "control.sock"))
    try:
        assert "uptime" in status(server)
    finally:
        idle.close()
    assert server.alive()


def test_status_without_a_server_and_a_deep_data_directory(tmp_path):
    # sun_path holds 108 octets: a deeper data directory is reached through its descriptor
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = Server(str(deep), users=[], aliases={})
    assert len(os.path.join(server.data_dir, "control.sock")) > 108
    try:
        p = server.cli("status", check=False)
        assert p.returncode != 0 and b"is the server running?" in p.stderr
        server.start()
        assert wait_until(lambda: os.path.exists(os.path.join(server.data_dir,
                                                              "control.sock")))
        assert "uptime" in status(server)
        server.cli("queue", "flush")
        assert wait_log(server, "control: queue flush")
    finally:
        problems = server.stop()
    assert not problems, problems
    assert not os.path.exists(os.path.join(server.data_dir, "control.sock"))

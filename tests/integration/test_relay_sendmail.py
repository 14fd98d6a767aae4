"""`yubin sendmail` (and the binary invoked as `sendmail`): mail dropped while the server is
down is picked up when it starts, mail dropped while it runs is picked up at once (inotify);
-t/-i/-f handling, added headers, exit codes per sysexits."""
import os
import pwd
import subprocess

import pytest

from conftest import YUBIN_BIN
from helpers import wait_until
from relay_helpers import (default_data_template, dns_factory, fake_smtp_factory,  # noqa: F401
                           free_port_on, make_domain_server, sendmail, start_ready,
                           wait_queue_empty)

A_IP, MX1 = "127.0.0.2", "127.0.0.5"


@pytest.fixture
def env(yubin_factory, dns_factory, fake_smtp_factory):
    port = free_port_on([A_IP, MX1])
    dns = dns_factory(mx=[("two.test", "mx1.two.test", 10)], hosts=[("mx1.two.test", MX1)])
    a = make_domain_server(yubin_factory, A_IP, "a.test", port, dns,
                           ["user1@a.test", "user2@a.test"], start=False)
    fake = fake_smtp_factory(MX1, port)
    return a, fake


MSG = (b"From: user1@a.test\nTo: user2@a.test\nCc: Someone <x@two.test>\n"
       b"Bcc: hidden@two.test\nSubject: cron output\n\nline one\n.\nline after dot\n")


def test_sendmail_t_server_down_then_up(env):
    a, fake = env
    sendmail(a, ["-t", "-i"], MSG)
    drop = os.path.join(a.data_dir, "maildrop")
    assert len([n for n in os.listdir(drop) if not n.startswith("tmp.")]) == 1
    start_ready(a)
    assert wait_until(lambda: a.count("user2@a.test") == 1, timeout=20), a.log_tail()
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert sorted(fake.messages[0]["rcpts"]) == ["hidden@two.test", "x@two.test"]
    data = fake.messages[0]["data"]
    assert b"Bcc:" not in data and b"Subject: cron output" in data
    assert b"line after dot" in data  # -i: a lone "." does not end the message
    assert b"Message-ID: <" in data and b"Date: " in data
    assert b"Received: by mx.a.test (yubin, from userid" in data
    stored = a.messages("user2@a.test")[0]
    # no -f: the sender is the invoking user at myhostname
    me = pwd.getpwuid(os.getuid()).pw_name
    assert ("Return-Path: <%s@mx.a.test>" % me).encode() in stored
    assert b"\r\nline one\r\n" in stored
    assert os.listdir(drop) == []
    assert wait_queue_empty(a)


def test_sendmail_while_running_is_picked_up_at_once(env):
    a, fake = env
    start_ready(a)
    p = sendmail(a, ["-f", "user1@a.test", "user2"], b"Subject: hi\n\nbody\n.\nnot sent\n")
    assert p.returncode == 0
    # "user2" is qualified with myhostname's domain... which is mx.a.test, not local:
    # use the full address for the local check below
    sendmail(a, ["-f", "user1@a.test", "user2@a.test"], b"Subject: hi\n\nbody\n.\nnot sent\n")
    assert wait_until(lambda: a.count("user2@a.test") == 1, timeout=5), a.log_tail()
    stored = a.messages("user2@a.test")[0]
    assert b"body\r\n" in stored and b"not sent" not in stored  # no -i: "." ends it
    assert b"From: user1@a.test" in stored


def test_invoked_as_sendmail(env, tmp_path):
    a, fake = env
    link = tmp_path / "sendmail"
    os.symlink(os.path.abspath(YUBIN_BIN), link)
    p = subprocess.run([str(link), "-oi", "x@two.test"], input=b"Subject: s\n\nhello\n",
                       capture_output=True, timeout=30,
                       env=dict(os.environ, YUBIN_CONFIG=a.config_path))
    assert p.returncode == 0, p.stderr
    start_ready(a)
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()


@pytest.mark.parametrize("args,msg,code", [
    (["-t"], b"Subject: no recipients\n\nx\n", 64),   # EX_USAGE
    (["--bogus"], b"x\n", 64),                         # EX_USAGE
    (["bad address@@x"], b"x\n", 65),                  # EX_DATAERR
])
def test_sendmail_exit_codes(env, args, msg, code):
    a, fake = env
    p = sendmail(a, args, msg, check=False)
    assert p.returncode == code, p.stderr


def test_bad_recipient_bounces_to_local_sender(env):
    a, fake = env
    start_ready(a)
    sendmail(a, ["-f", "user1@a.test", "nosuch@a.test"], b"Subject: to nobody\n\nx\n")
    assert wait_until(lambda: a.count("user1@a.test") == 1, timeout=20), a.log_tail()
    dsn = a.messages("user1@a.test")[0]
    assert b"Status: 5.1.1" in dsn and b"nosuch@a.test" in dsn

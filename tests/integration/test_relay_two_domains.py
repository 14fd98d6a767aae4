"""The two-domain scenario of issue 5, on one machine: dnsmasq serves the MX records of a.test
and b.test; yubin for a.test runs on 127.0.0.2 and yubin for b.test on 127.0.0.3, both with
SMTP on the same port, which is also their smtp_delivery_port. user1@a.test submits with AUTH
on a.test's 587 (STARTTLS), and the mail crosses over to b.test by MX."""
import smtplib

import pytest

from conftest import PASSWORD
from helpers import make_msg, split_prefix, header_values, wait_until
from relay_helpers import (default_data_template, dns_factory, fake_smtp_factory,  # noqa: F401
                           free_port_on,
                           make_domain_server, queue_rows, start_ready, wait_log,
                           wait_queue_empty)
from smtpraw import tls_client_context

A_IP, B_IP = "127.0.0.2", "127.0.0.3"


@pytest.fixture
def two_domains(yubin_factory, dns_factory):
    port = free_port_on([A_IP, B_IP])
    dns = dns_factory(mx=[("a.test", "mx.a.test", 10), ("b.test", "mx.b.test", 10)],
                      hosts=[("mx.a.test", A_IP), ("mx.b.test", B_IP)])
    a = make_domain_server(yubin_factory, A_IP, "a.test", port, dns, ["user1@a.test"])
    b = make_domain_server(yubin_factory, B_IP, "b.test", port, dns, ["user2@b.test"])
    return a, b


def submit(server, sender, rcpts, msg, user="user1@a.test"):
    s = smtplib.SMTP(server.host, server.submission_port, local_hostname="client.a.test",
                     timeout=30)
    s.ehlo()
    s.starttls(context=tls_client_context())
    s.ehlo()
    s.login(user, PASSWORD)
    refused = s.sendmail(sender, rcpts, msg)
    s.quit()
    return refused


def msg_from(sender, to, subject):
    return make_msg(subject=subject).replace(b"From: sender@client.example.test",
                                             ("From: %s" % sender).encode()) \
        .replace(b"To: someone@example.test", ("To: %s" % to).encode())


def test_submission_crosses_to_other_domain(two_domains):
    a, b = two_domains
    msg = msg_from("user1@a.test", "user2@b.test", "cross")
    submit(a, "user1@a.test", ["user2@b.test"], msg)
    assert wait_until(lambda: b.count("user2@b.test") == 1, timeout=20), a.log_tail()
    stored = b.messages("user2@b.test")[0]
    added = split_prefix(stored, msg)
    received = header_values(added, "received")
    # b.test's Received: on top, a.test's (with AUTH: ESMTPSA) below it
    assert len(received) == 2, added
    assert "by mx.b.test" in received[0] and "by mx.a.test" in received[1], received
    assert "ESMTPSA" in received[1], received
    assert header_values(added, "return-path") == ["<user1@a.test>"]
    assert wait_queue_empty(a)
    assert wait_log(a, "to=<user2@b.test> relay=mx.b.test[127.0.0.3]")
    assert "status=sent" in a.log()


def test_unknown_user_bounces_to_sender(two_domains):
    a, b = two_domains
    msg = msg_from("user1@a.test", "nosuchuser@b.test", "bounce me")
    submit(a, "user1@a.test", ["nosuchuser@b.test"], msg)
    assert wait_until(lambda: a.count("user1@a.test") == 1, timeout=20), a.log_tail()
    dsn = a.messages("user1@a.test")[0]
    assert b"multipart/report" in dsn and b"report-type=delivery-status" in dsn
    assert b"Final-Recipient: rfc822; nosuchuser@b.test" in dsn
    assert b"Action: failed" in dsn and b"Status: 5." in dsn
    assert b"Return-Path: <>" in dsn
    assert b"From: MAILER-DAEMON@mx.a.test" in dsn
    assert b"Subject: bounce me" in dsn  # the original headers come back
    assert wait_queue_empty(a)
    assert b.count("user2@b.test") == 0


def test_waits_while_down_then_flush_delivers_once(two_domains):
    a, b = two_domains
    b.stop()
    msg = msg_from("user1@a.test", "user2@b.test", "waiting")
    a.settings["minimal_backoff_time"] = "1h"
    a.settings["maximal_backoff_time"] = "2h"
    a.write_config()
    assert not a.stop()
    start_ready(a)
    submit(a, "user1@a.test", ["user2@b.test"], msg)
    assert wait_log(a, "status=deferred"), a.log_tail()
    rows = queue_rows(a)
    assert len(rows) == 1 and list(rows.values())[0][0][1] == 0  # still pending
    listing = a.cli("queue", "list").stdout.decode()
    assert "user2@b.test" in listing and "user1@a.test" in listing
    start_ready(b)
    a.cli("queue", "flush")
    assert wait_until(lambda: b.count("user2@b.test") == 1, timeout=20), a.log_tail()
    assert wait_queue_empty(a)
    a.cli("queue", "flush")
    import time
    time.sleep(1.5)
    assert b.count("user2@b.test") == 1  # exactly once

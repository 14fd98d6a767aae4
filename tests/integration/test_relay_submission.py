"""Submission policy seen end to end (the SMTP server's rules, with the queue behind it):
AUTH only under TLS, no relaying without AUTH from outside mynetworks, no spoofed envelope
sender or From:, and a relayhost reached with AUTH PLAIN."""
import smtplib

import pytest

from conftest import PASSWORD
from helpers import make_msg, wait_until
from relay_helpers import (default_data_template, dns_factory, fake_smtp_factory,  # noqa: F401
                           free_port_on, make_domain_server)
from smtpraw import tls_client_context

A_IP, MX1 = "127.0.0.2", "127.0.0.5"


@pytest.fixture
def a(yubin_factory, dns_factory):
    port = free_port_on([A_IP, MX1])
    dns = dns_factory(mx=[("two.test", "mx1.two.test", 10)], hosts=[("mx1.two.test", MX1)])
    srv = make_domain_server(yubin_factory, A_IP, "a.test", port, dns,
                             ["user1@a.test", "user3@a.test"])
    srv.add_alias("sales@a.test", ["user1@a.test"])
    return srv


def login(a):
    s = smtplib.SMTP(a.host, a.submission_port, local_hostname="client.a.test", timeout=30)
    s.ehlo()
    s.starttls(context=tls_client_context())
    s.ehlo()
    s.login("user1@a.test", PASSWORD)
    return s


def test_auth_refused_before_tls(a):
    s = smtplib.SMTP(a.host, a.submission_port, local_hostname="client.a.test", timeout=30)
    s.ehlo()
    assert not s.has_extn("auth")
    code, _ = s.docmd("AUTH", "PLAIN AHVzZXIxQGEudGVzdABzZWNyZXQ=")
    assert code >= 500
    code, _ = s.docmd("MAIL", "FROM:<user1@a.test>")
    assert code == 530
    s.close()


def test_no_relay_without_auth_outside_mynetworks(a):
    s = smtplib.SMTP(a.host, a.smtp_port, local_hostname="client.a.test", timeout=30)
    s.ehlo()
    assert s.docmd("MAIL", "FROM:<someone@elsewhere.test>")[0] == 250
    code, text = s.docmd("RCPT", "TO:<x@two.test>")
    assert code == 554 and b"5.7.1" in text
    s.close()


def test_spoofed_envelope_sender_refused(a):
    s = login(a)
    code, text = s.docmd("MAIL", "FROM:<user3@a.test>")
    assert code == 553 and b"5.7.1" in text
    s.close()


def test_spoofed_from_header_refused(a, fake_smtp_factory):
    s = login(a)
    msg = make_msg().replace(b"From: sender@client.example.test", b"From: user3@a.test")
    with pytest.raises(smtplib.SMTPDataError) as e:
        s.sendmail("user1@a.test", ["x@two.test"], msg)
    assert e.value.smtp_code == 550 and b"5.7.1" in e.value.smtp_error
    s.close()


def test_own_alias_may_send(a, fake_smtp_factory):
    fake = fake_smtp_factory(MX1, a.smtp_port)
    s = login(a)
    msg = make_msg().replace(b"From: sender@client.example.test", b"From: sales@a.test")
    s.sendmail("sales@a.test", ["x@two.test"], msg)
    s.quit()
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert fake.messages[0]["mail"] == "sales@a.test"


def test_relayhost_with_auth(yubin_factory, dns_factory, fake_smtp_factory, tmp_path):
    port = free_port_on([A_IP, MX1])
    dns = dns_factory(mx=[("two.test", "mx1.two.test", 10)], hosts=[("smart.test", MX1)])
    pw = tmp_path / "relay.pw"
    pw.write_text("relay-secret\n")
    got = []

    def script(sess, cmd):
        if cmd.upper().startswith("AUTH"):
            got.append(cmd)
            return "235 2.7.0 Authentication successful"
        return None

    fake = fake_smtp_factory(MX1, 2600 + port % 1000, script=script,
                             ehlo=("PIPELINING", "AUTH PLAIN LOGIN"))
    srv = make_domain_server(yubin_factory, A_IP, "a.test", port, dns, ["user1@a.test"],
                             extra={"relayhost": "[smart.test]:%d" % fake.port,
                                    "relayhost_username": "relayuser",
                                    "relayhost_password_file": str(pw),
                                    "mynetworks": "127.0.0.0/8"})
    s = srv.smtp()
    s.sendmail("user1@a.test", ["x@elsewhere.test", "y@other.test"], make_msg())
    s.quit()
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), srv.log_tail()
    assert sorted(fake.messages[0]["rcpts"]) == ["x@elsewhere.test", "y@other.test"]
    import base64
    assert got and base64.b64decode(got[0].split()[2]) == b"\0relayuser\0relay-secret"

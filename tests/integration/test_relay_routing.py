"""Outbound routing and retries against fake SMTP servers (relay_helpers.FakeSMTP): MX
preference with a dead first MX, no MX falling back to the domain's A record, null MX
(RFC 7505), NXDOMAIN, 4xx then 2xx retried, 5xx bounced, PIPELINING off, dot-stuffing."""
import time

import pytest

from helpers import make_msg, wait_until
from relay_helpers import (default_data_template, dns_factory, fake_smtp_factory,  # noqa: F401
                           free_port_on, make_domain_server, queue_rows, wait_log,
                           wait_queue_empty)

A_IP = "127.0.0.2"
MX1, MX2, PLAIN = "127.0.0.5", "127.0.0.6", "127.0.0.7"


@pytest.fixture
def env(yubin_factory, dns_factory):
    port = free_port_on([A_IP, MX1, MX2, PLAIN])
    dns = dns_factory(
        mx=[("a.test", "mx.a.test", 10), ("two.test", "mx1.two.test", 10),
            ("two.test", "mx2.two.test", 20), ("fake.test", "mx1.two.test", 10)],
        hosts=[("mx.a.test", A_IP), ("mx1.two.test", MX1), ("mx2.two.test", MX2),
               ("nomx.test", PLAIN)],
        extra=["--dns-rr=nullmx.test,15,000000"])
    # mynetworks: the test injects on port 25 as a trusted application would
    a = make_domain_server(yubin_factory, A_IP, "a.test", port, dns, ["user1@a.test"],
                           extra={"mynetworks": "127.0.0.0/8"})
    return a, port


def inject(a, rcpts, msg=None, sender="user1@a.test"):
    s = a.smtp()
    s.sendmail(sender, rcpts, msg or make_msg())
    s.quit()


def test_first_mx_down_second_mx_gets_it(env, fake_smtp_factory):
    a, port = env
    fake2 = fake_smtp_factory(MX2, port)
    inject(a, ["x@two.test"])
    assert wait_until(lambda: len(fake2.messages) == 1, timeout=20), a.log_tail()
    assert fake2.messages[0]["rcpts"] == ["x@two.test"]
    assert wait_queue_empty(a)


def test_preferred_mx_is_used(env, fake_smtp_factory):
    a, port = env
    fake1 = fake_smtp_factory(MX1, port)
    fake2 = fake_smtp_factory(MX2, port)
    inject(a, ["x@two.test", "y@two.test"])
    assert wait_until(lambda: len(fake1.messages) == 1, timeout=20), a.log_tail()
    # one connection, one transaction for both recipients of the domain
    assert sorted(fake1.messages[0]["rcpts"]) == ["x@two.test", "y@two.test"]
    assert fake2.messages == []


def test_no_mx_falls_back_to_a_record(env, fake_smtp_factory):
    a, port = env
    fake = fake_smtp_factory(PLAIN, port)
    inject(a, ["z@nomx.test"])
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert wait_log(a, "relay=nomx.test[127.0.0.7]")


@pytest.mark.parametrize("rcpt,status", [("u@nullmx.test", b"5.1.10"),
                                         ("u@nxdomain.test", b"5.4.4")])
def test_undeliverable_domain_bounces(env, rcpt, status):
    a, port = env
    inject(a, [rcpt])
    assert wait_until(lambda: a.count("user1@a.test") == 1, timeout=20), a.log_tail()
    dsn = a.messages("user1@a.test")[0]
    assert b"Final-Recipient: rfc822; " + rcpt.encode() in dsn
    assert b"Status: " + status in dsn
    assert wait_queue_empty(a)


def test_4xx_then_2xx_is_retried(env, fake_smtp_factory):
    a, port = env

    rcpts = []

    # greylisting as real servers do it: the first attempt is refused, whichever
    # connection the retry comes on (yubin may reuse its idle connection for it)
    def script(sess, cmd):
        if cmd.upper().startswith("RCPT"):
            rcpts.append(cmd)
            if len(rcpts) == 1:
                return "451 4.3.0 greylisted, try again later"
        return None

    fake = fake_smtp_factory(MX1, port, script=script)
    inject(a, ["g@two.test"])
    assert wait_log(a, "status=deferred (451 4.3.0 greylisted"), a.log_tail()
    assert len(queue_rows(a)) == 1
    # minimal_backoff_time is 1 s in these tests
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert len(rcpts) >= 2
    assert wait_queue_empty(a)


def test_5xx_on_data_bounces_and_partial_rcpt(env, fake_smtp_factory):
    a, port = env

    def script(sess, cmd):
        if cmd.upper().startswith("RCPT") and "bad@" in cmd:
            return "550 5.1.1 <bad@two.test>: Recipient address rejected"
        return None

    fake = fake_smtp_factory(MX1, port, script=script)
    inject(a, ["good@two.test", "bad@two.test"])
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20)
    assert fake.messages[0]["rcpts"] == ["good@two.test"]
    assert wait_until(lambda: a.count("user1@a.test") == 1, timeout=20), a.log_tail()
    dsn = a.messages("user1@a.test")[0]
    assert b"bad@two.test" in dsn and b"Status: 5.1.1" in dsn
    assert b"Final-Recipient: rfc822; good@two.test" not in dsn
    assert b"Remote-MTA: dns; mx1.two.test[127.0.0.5]" in dsn


def test_without_pipelining_and_dot_stuffing(env, fake_smtp_factory):
    a, port = env
    fake = fake_smtp_factory(MX1, port, ehlo=("8BITMIME",))
    body = b".leading dot\r\n..two dots\r\n.\r\nend\r\n"
    msg = make_msg(body=body)
    inject(a, ["p@two.test", "q@two.test"], msg)
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert fake.messages[0]["data"].endswith(body)
    # one command at a time: every command was answered before the next
    verbs = [c.split(":")[0].split(" ")[0].upper() for c in fake.commands]
    assert verbs[:6] == ["EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"] or \
        verbs[:5] == ["EHLO", "MAIL", "RCPT", "RCPT", "DATA"], fake.commands


def test_helo_fallback(env, fake_smtp_factory):
    a, port = env

    def script(sess, cmd):
        if cmd.upper().startswith("EHLO"):
            return "502 5.5.2 EHLO not implemented"
        return None

    fake = fake_smtp_factory(MX1, port, script=script)
    inject(a, ["h@two.test"])
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert any(c.upper().startswith("HELO MX.A.TEST") for c in fake.commands)


def test_bounce_of_bounce_is_discarded(env, fake_smtp_factory):
    a, port = env

    def script(sess, cmd):
        if cmd.upper().startswith("RCPT"):
            return "550 5.1.1 no such user"
        return None

    fake_smtp_factory(MX1, port, script=script)
    inject(a, ["nobody@two.test"], sender="")
    assert wait_log(a, "undeliverable bounce discarded"), a.log_tail()
    assert wait_queue_empty(a)
    time.sleep(0.5)
    assert a.count("user1@a.test") == 0

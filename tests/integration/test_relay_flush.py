"""`yubin queue flush` and SIGUSR1 retry deferred mail at once (issue 11, fault 3), as
Postfix's `postqueue -f` does, whatever the backoff: b.test's server is down, the message is
deferred with an hour's backoff, the server comes back (at its address, or at a new one the
DNS now gives), a flush is asked for, and the message is there within seconds, with the
attempt in the log."""
import signal
import time

import pytest

import relay_helpers
from helpers import make_msg, wait_until
from relay_helpers import (default_data_template, dns_factory, fake_smtp_factory,  # noqa: F401
                           free_port_on, make_domain_server, queue_rows, wait_log,
                           wait_queue_empty)

A_IP, B_IP, OLD_B_IP = "127.0.0.2", "127.0.0.3", "127.0.0.4"


def dns_records(b_ip):
    return dict(mx=[("a.test", "mx.a.test", 10), ("b.test", "mx.b.test", 10)],
                hosts=[("mx.a.test", A_IP), ("mx.b.test", b_ip)])


def make_env(yubin_factory, dns_factory, b_ip):
    port = free_port_on([A_IP, B_IP, OLD_B_IP])
    dns = dns_factory(**dns_records(b_ip))
    # a backoff far longer than the test: only the flush can bring the retry
    a = make_domain_server(yubin_factory, A_IP, "a.test", port, dns, ["user1@a.test"],
                           extra={"mynetworks": "127.0.0.0/8", "minimal_backoff_time": "1h",
                                  "maximal_backoff_time": "2h"})
    return a, port, dns


@pytest.fixture
def env(yubin_factory, dns_factory):
    a, port, _ = make_env(yubin_factory, dns_factory, B_IP)
    return a, port


def deferred_while_down(a):
    s = a.smtp()
    s.sendmail("user1@a.test", ["user2@b.test"], make_msg(subject="waiting"))
    s.quit()
    assert wait_log(a, "status=deferred"), a.log_tail()
    assert "Connection refused" in a.log() or "refused" in a.log().lower(), a.log_tail()
    rows = queue_rows(a)
    assert len(rows) == 1 and list(rows.values())[0][0][1] == 0  # still pending
    # let the scheduler's 1 s tick see the message as not due (for an hour) first: a flush
    # right after the deferral would otherwise find it still marked "look now"
    time.sleep(2.5)


@pytest.mark.parametrize("how", ["cli", "sigusr1"])
def test_flush_retries_deferred_mail_now(env, fake_smtp_factory, how):
    a, port = env
    deferred_while_down(a)
    fake = fake_smtp_factory(B_IP, port)
    n_flush = a.log().count("flush requested")
    t0 = time.monotonic()
    if how == "cli":
        a.cli("queue", "flush")
    else:
        a.proc.send_signal(signal.SIGUSR1)
    assert wait_until(lambda: a.log().count("flush requested") > n_flush, timeout=10)
    # delivered within seconds (the backoff would have been an hour)
    assert wait_until(lambda: len(fake.messages) == 1, timeout=15), a.log_tail()
    print("flush -> delivered in %.2fs" % (time.monotonic() - t0))
    assert fake.messages[0]["rcpts"] == ["user2@b.test"]
    log = a.log()
    assert "to=<user2@b.test> flush: retrying now (attempt 2" in log, a.log_tail()
    assert wait_log(a, "to=<user2@b.test> relay=mx.b.test[127.0.0.3]"), a.log_tail()
    assert wait_queue_empty(a)
    # a second flush with nothing deferred sends nothing again
    a.cli("queue", "flush")
    time.sleep(1.5)
    assert len(fake.messages) == 1


def test_flush_resolves_the_destination_again(yubin_factory, dns_factory, fake_smtp_factory,
                                              monkeypatch):
    """The route that failed is cached (60 s); the flush must not reuse it: b.test came back
    at another address."""
    a, port, dns = make_env(yubin_factory, dns_factory, OLD_B_IP)
    deferred_while_down(a)
    assert "relay=mx.b.test[%s]" % OLD_B_IP in a.log()
    # the DNS now gives the new address (a new dnsmasq on the same port)
    dns.stop()
    monkeypatch.setattr(relay_helpers, "free_udp_port", lambda: dns.port)
    dns_factory(**dns_records(B_IP))
    fake = fake_smtp_factory(B_IP, port)
    a.cli("queue", "flush")
    assert wait_until(lambda: len(fake.messages) == 1, timeout=15), a.log_tail()
    assert wait_log(a, "to=<user2@b.test> relay=mx.b.test[%s]" % B_IP), a.log_tail()
    assert wait_queue_empty(a)

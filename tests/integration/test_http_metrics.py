"""/metrics (issue 10) after a known load: N SMTP deliveries, M IMAP logins, a failed login,
a rejected recipient and TLS connections, checked against the counts; the output parsed by
the Prometheus client library's own parser (the text exposition format 0.0.4)."""
import imaplib
import socket
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import PASSWORD, free_port
from helpers import make_msg, wait_until
from smtpraw import tls_client_context

N_MAILS = 7
M_LOGINS = 3


@pytest.fixture
def mon(yubin_factory):
    ports = {k: free_port() for k in ("metrics", "imap")}
    srv = yubin_factory(config={
        "metrics_listen": "127.0.0.1:%d" % ports["metrics"],
        "imap_listen": "127.0.0.1:%d" % ports["imap"],
        "auth_failure_delay": "0",
    })
    srv.ports = ports

    def connects():
        try:
            socket.create_connection(("127.0.0.1", ports["metrics"]), timeout=1).close()
            return True
        except OSError:
            return False
    assert wait_until(connects)
    return srv


def scrape(srv):
    """{(name, frozenset(labels)): value} of one scrape, parsed by prometheus_client."""
    p = subprocess.run(["curl", "-sf", "--max-time", "20",
                        "http://127.0.0.1:%d/metrics" % srv.ports["metrics"]],
                       capture_output=True, timeout=30)
    assert p.returncode == 0
    out = {}
    for fam in text_string_to_metric_families(p.stdout.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def v(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0)


def diff(after, before, name, **labels):
    return v(after, name, **labels) - v(before, name, **labels)


def test_metrics_count_a_known_load(mon):
    before = scrape(mon)
    for name in ("yubin_messages_received_total", "yubin_login_failures_total",
                 "process_open_fds", "process_resident_memory_bytes", "yubin_queue_messages",
                 "yubin_queue_oldest_age_seconds"):
        assert (name, frozenset()) in before, name
    # N deliveries to local accounts over one SMTP connection each
    for i in range(N_MAILS):
        with mon.smtp() as s:
            s.sendmail("sender@client.example.test", ["bob@example.test"],
                       make_msg(subject="m%d" % i))
    # one rejected recipient: 550 5.1.1
    with mon.smtp() as s:
        s.mail("sender@client.example.test")
        code, _ = s.rcpt("nobody@example.test")
        assert code == 550
        s.rset()
    # M IMAP logins and one failure
    for _ in range(M_LOGINS):
        c = imaplib.IMAP4("127.0.0.1", mon.ports["imap"])
        c.login("alice@example.test", PASSWORD)
        c.logout()
    c = imaplib.IMAP4("127.0.0.1", mon.ports["imap"])
    with pytest.raises(imaplib.IMAP4.error):
        c.login("alice@example.test", "wrong-password")
    c.logout()
    # a TLS connection (submissions, implicit TLS)
    with mon.smtp_tls() as s:
        s.ehlo()
    assert wait_until(lambda: v(scrape(mon), "yubin_connections", protocol="smtp") == 0
                      and v(scrape(mon), "yubin_connections", protocol="imap") == 0)
    after = scrape(mon)
    assert diff(after, before, "yubin_messages_received_total") == N_MAILS
    assert diff(after, before, "yubin_messages_delivered_local_total") == N_MAILS
    assert diff(after, before, "yubin_login_failures_total") == 1
    assert diff(after, before, "yubin_connections_total", protocol="smtp") == N_MAILS + 1
    assert diff(after, before, "yubin_connections_total", protocol="imap") == M_LOGINS + 1
    assert diff(after, before, "yubin_connections_total", protocol="submissions") == 1
    assert diff(after, before, "yubin_smtp_rejections_total", reason="5.1.1") == 1
    tls = (diff(after, before, "yubin_tls_handshakes_total", version="TLSv1.3")
           + diff(after, before, "yubin_tls_handshakes_total", version="TLSv1.2"))
    assert tls == 1
    # every delivery made the journal durable: the fsync histogram saw them
    assert diff(after, before, "yubin_fsync_latency_seconds_count") >= 1
    assert v(after, "yubin_fsync_latency_seconds_bucket", le="+Inf") == \
        v(after, "yubin_fsync_latency_seconds_count")
    assert v(after, "yubin_messages_relayed_total") == 0
    assert v(after, "yubin_queue_messages") == 0
    assert v(after, "process_open_fds") > 3
    assert v(after, "process_resident_memory_bytes") > 1 << 20
    # the scrapes themselves are not counted as connections
    assert v(after, "yubin_connections_total", protocol="http") == 0


def test_queue_gauges_and_relay_counters(yubin_factory):
    """A message for a remote domain that cannot be delivered (no route): the queue holds
    it (length 1, an age) and the attempt is counted as deferred."""
    ports = {"metrics": free_port()}
    dead = free_port()
    srv = yubin_factory(config={"metrics_listen": "127.0.0.1:%d" % ports["metrics"],
                                "relayhost": "[127.0.0.1]:%d" % dead,
                                "mynetworks": "127.0.0.0/8"})
    srv.ports = ports
    with srv.smtp() as s:
        s.sendmail("alice@example.test", ["someone@remote.test"], make_msg())
    assert wait_until(lambda: v(scrape(srv), "yubin_messages_deferred_total") >= 1, timeout=20)
    m = scrape(srv)
    assert v(m, "yubin_queue_messages") == 1
    assert v(m, "yubin_queue_oldest_age_seconds") >= 0
    assert v(m, "yubin_messages_relayed_total") == 0


def test_filter_verdicts_and_certificate_expiry(yubin_factory):
    """yubin_filter_verdicts_total: one message through SPF/DKIM/DMARC (the resolver does
    not answer: temperror), clamd and a milter (both down: error, accepted by the default
    actions) and the built-in spam filter (a plain message: ham);
    yubin_tls_certificate_expiry_seconds: the notAfter of the server's certificate."""
    ports = {"metrics": free_port()}
    srv = yubin_factory(config={
        "metrics_listen": "127.0.0.1:%d" % ports["metrics"],
        "mailauth_checks": "yes",
        "dns_resolvers": "127.0.0.1:%d" % free_port(udp=True),
        "clamd_socket": "unix:/nonexistent/clamd.sock",
        "clamd_default_action": "accept",
        "smtpd_milters": "inet:127.0.0.1:%d" % free_port(),
        "milter_default_action": "accept",
    })
    srv.ports = ports
    before = scrape(srv)
    assert not any(k[0] == "yubin_filter_verdicts_total" for k in before)
    with srv.smtp() as s:
        s.sendmail("sender@client.example.test", ["bob@example.test"], make_msg())
    after = scrape(srv)
    verdicts = {dict(k[1])["filter"] + "=" + dict(k[1])["verdict"]: val
                for k, val in after.items() if k[0] == "yubin_filter_verdicts_total"}
    assert verdicts.get("clamd=error") == 1, verdicts
    for f in ("spf", "dkim", "dmarc"):
        assert sum(val for k, val in verdicts.items() if k.startswith(f + "=")) == 1, verdicts
    assert verdicts.get("dkim=none") == 1, verdicts  # the message is not signed
    assert verdicts.get("spf=temperror") == 1, verdicts
    assert verdicts.get("milter=error") == 1, verdicts
    assert verdicts.get("spam=ham") == 1, verdicts
    # the certificate: what openssl reads from the generated one
    end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                          srv.data_dir + "/tls/cert.pem"], capture_output=True, check=True)
    import calendar
    import time
    not_after = calendar.timegm(time.strptime(end.stdout.decode().strip().split("=", 1)[1],
                                              "%b %d %H:%M:%S %Y %Z"))
    assert v(after, "yubin_tls_certificate_expiry_seconds") == not_after

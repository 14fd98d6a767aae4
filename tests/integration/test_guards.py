"""The guards against abuse (docs/guards.md), each with a small window or delay so that the
file runs in seconds: DNSBL at connect through dnsmasq (the client bound to a loopback
address the test zones list: a reject zone refuses it with the list's TXT, a weighted zone
only scores it, a DNS failure lets it in); the greeting delay (a client that talks early gets
554 5.5.1 and is then refused at connect); the submission rate limit (the N+1-th message
and recipient get 450 4.7.1) and the connection rate limit (421 4.7.0); the login ban across
SMTP AUTH, IMAP and POP3, `yubin ban list|del`, kept across a restart; greylisting (first
451 4.7.1, the retry after the delay passes, then the client's network)."""
import base64
import socket
import time

from conftest import PASSWORD, free_port
from helpers import make_msg, wait_until
from relay_helpers import Dnsmasq
from smtpraw import RawSMTP

ALICE = "alice@example.test"


def greeting(server, source, timeout=30):
    """(the client, the first reply) from source."""
    c = RawSMTP(server.host, server.smtp_port, source=source, timeout=timeout)
    return c, c.reply()


# -- DNSBL -------------------------------------------------------------------------------

def test_dnsbl_reject_zone_and_weighted_zone(yubin_factory, tmp_path):
    dns = Dnsmasq(str(tmp_path), hosts=[("2.0.0.127.block.test", "127.0.0.2"),
                                        ("3.0.0.127.score.test", "127.0.0.2")],
                  extra=["--txt-record=2.0.0.127.block.test,Listed for testing"])
    try:
        server = yubin_factory(config={"dns_resolvers": dns.resolver,
                                       "dnsbl_zones": "block.test=reject score.test=3"})
        # listed by the reject zone: 554 5.7.1 as the greeting, with the list's reason
        c, r = greeting(server, "127.0.0.2")
        assert r.code == 554 and r.enhanced == "5.7.1", r
        assert "block.test" in r.text and "Listed for testing" in r.text, r
        c.wait_closed()
        # listed by the weighted zone only: let in, scored
        c, r = greeting(server, "127.0.0.3")
        assert r.code == 220, r
        c.expect("EHLO client.example.test", 250)
        c.expect("QUIT", 221)
        assert wait_until(lambda: "listed by score.test (weight 3, score 3)" in server.log())
        # not listed
        c, r = greeting(server, "127.0.0.4")
        assert r.code == 220, r
        c.expect("QUIT", 221)
        assert "127.0.0.4] listed" not in server.log()
    finally:
        dns.stop()


def test_dnsbl_ipv6_client(yubin_factory, tmp_path):
    # RFC 5782 2.4: ::1 as 32 reversed nibbles under the zone
    nibbles = ".".join(reversed("%032x" % 1))
    dns = Dnsmasq(str(tmp_path), hosts=[(nibbles + ".block.test", "127.0.0.2")])
    try:
        port, port4 = free_port(), free_port()  # (free_port checks IPv4; ::1 is as idle)
        server = yubin_factory(config={"dns_resolvers": dns.resolver,
                                       "dnsbl_zones": "block.test=reject",
                                       # the IPv4 address last: the fixture waits on it
                                       "smtp_listen": "[::1]:%d, 127.0.0.1:%d" % (port, port4)},
                               start=False)
        server.smtp_port = port4
        server.start()
        c = socket.create_connection(("::1", port), timeout=30)
        line = c.makefile("rb").readline().decode()
        assert line.startswith("554 5.7.1 ") and "block.test" in line, line
        c.close()
        c, r = greeting(server, "127.0.0.2")  # IPv4 not listed
        assert r.code == 220, r
        c.expect("QUIT", 221)
    finally:
        dns.stop()


def test_dnsbl_dns_failure_lets_the_client_in(yubin_factory):
    # nothing answers on this port: the lookups time out and the client is greeted
    server = yubin_factory(config={"dns_resolvers": "127.0.0.1:%d" % free_port(udp=True),
                                   "dnsbl_zones": "block.test=reject score.test",
                                   "dnsbl_timeout": "800ms"})
    # a client that leaves while its lookups wait: they are cancelled (ASan: no callback
    # into the freed session)
    RawSMTP(server.host, server.smtp_port, source="127.0.0.2").sock.close()
    t0 = time.monotonic()
    c, r = greeting(server, "127.0.0.2")
    assert r.code == 220 and time.monotonic() - t0 >= 0.7, r
    c.expect("QUIT", 221)
    assert "DNSBL lookups timed out, let in" in server.log()
    # a shutdown while a client waits for its greeting: 421, a clean exit
    c = RawSMTP(server.host, server.smtp_port, source="127.0.0.3")
    time.sleep(0.1)
    assert not server.stop(), server.problems
    assert c.reply().code == 421


# -- greeting delay ----------------------------------------------------------------------

def test_greet_delay_refuses_a_client_that_talks_first(yubin_factory):
    server = yubin_factory(config={"smtpd_greet_delay": "700ms",
                                   "smtpd_pregreet_ban_time": "1h"})
    # a patient client: greeted after the delay
    t0 = time.monotonic()
    c, r = greeting(server, "127.0.0.6")
    assert r.code == 220 and time.monotonic() - t0 >= 0.6, (r, time.monotonic() - t0)
    c.expect("QUIT", 221)
    # a client that talks before the greeting: 554 5.5.1, closed
    c = RawSMTP(server.host, server.smtp_port, source="127.0.0.5")
    c.send("EHLO early.example.test\r\n")
    r = c.reply()
    assert r.code == 554 and r.enhanced == "5.5.1", r
    c.wait_closed()
    # and remembered: refused at connect
    c, r = greeting(server, "127.0.0.5")
    assert r.code == 421 and r.enhanced == "4.7.0", r
    c.wait_closed()
    # the other client is not
    c, r = greeting(server, "127.0.0.6")
    assert r.code == 220, r
    c.expect("QUIT", 221)


# -- rate limits -------------------------------------------------------------------------

def login(c):
    token = base64.b64encode(("\0%s\0%s" % (ALICE, PASSWORD)).encode()).decode()
    c.expect("AUTH PLAIN " + token, 235)


def send_one(c, rcpts):
    c.expect("MAIL FROM:<%s>" % ALICE, 250)
    for r in rcpts:
        c.expect("RCPT TO:<%s>" % r, 250)
    c.expect("DATA", 354)
    c.send(make_msg().replace(b"sender@client.example.test", ALICE.encode()) + b".\r\n")
    assert c.reply().code == 250


def test_submission_rate_limit_messages(yubin_factory):
    server = yubin_factory(config={"submission_rate_limit": "2/100",
                                   "auth_failure_delay": "0"})
    c = server.raw(server.submissions_port, tls=True)
    c.greet()
    login(c)
    send_one(c, ["bob@example.test"])
    send_one(c, ["bob@example.test"])
    r = c.cmd("MAIL FROM:<%s>" % ALICE)
    assert r.code == 450 and r.enhanced == "4.7.1", r
    c.expect("QUIT", 221)
    # the count is per account, not per connection
    c = server.raw(server.submissions_port, tls=True)
    c.greet()
    login(c)
    r = c.cmd("MAIL FROM:<%s>" % ALICE)
    assert r.code == 450, r
    assert wait_until(lambda: server.count("bob@example.test") == 2)


def test_submission_rate_limit_recipients(yubin_factory):
    server = yubin_factory(config={"submission_rate_limit": "100/3"})
    c = server.raw(server.submissions_port, tls=True)
    c.greet()
    login(c)
    send_one(c, ["bob@example.test", "carol@example.test"])
    c.expect("MAIL FROM:<%s>" % ALICE, 250)
    c.expect("RCPT TO:<bob@example.test>", 250)
    r = c.cmd("RCPT TO:<carol@example.test>")
    assert r.code == 450 and r.enhanced == "4.7.1", r
    c.expect("QUIT", 221)


def test_connection_rate_limit(yubin_factory):
    server = yubin_factory(config={"smtpd_client_connection_rate_limit": "3"})
    for _ in range(3):
        c, r = greeting(server, "127.0.0.7")
        assert r.code == 220, r
        c.expect("QUIT", 221)
    c, r = greeting(server, "127.0.0.7")
    assert r.code == 421 and r.enhanced == "4.7.0", r
    c.wait_closed()
    # another address is not affected
    c, r = greeting(server, "127.0.0.17")
    assert r.code == 220, r
    c.expect("QUIT", 221)


# -- login bans --------------------------------------------------------------------------

class Lines:
    """A line client for POP3 and IMAP from a chosen source address."""

    def __init__(self, port, source):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                             source_address=(source, 0))
        self.f = self.sock.makefile("rb")

    def line(self):
        return self.f.readline().decode().rstrip("\r\n")

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.line()

    def close(self):
        self.f.close()
        self.sock.close()


def pop3_login(server, source, password):
    c = Lines(server.pop3_port, source)
    assert c.line().startswith("+OK")
    assert c.send("USER " + ALICE).startswith("+OK")
    r = c.send("PASS " + password)
    c.close()
    return r


def imap_login(server, source, password):
    c = Lines(server.imap_port, source)
    assert c.line().startswith("* OK")
    r = c.send('a LOGIN %s "%s"' % (ALICE, password))
    while r.startswith("* "):
        r = c.line()
    c.close()
    return r


def smtp_auth(server, source, password):
    c = RawSMTP(server.host, server.submissions_port, source=source, tls=True)
    c.greet()
    token = base64.b64encode(("\0%s\0%s" % (ALICE, password)).encode()).decode()
    r = c.cmd("AUTH PLAIN " + token)
    c.cmd("QUIT")
    return r


def test_login_ban_across_protocols_and_cli(yubin_factory):
    pop3, imap = free_port(), free_port()
    server = yubin_factory(config={"pop3_listen": "127.0.0.1:%d" % pop3,
                                   "imap_listen": "127.0.0.1:%d" % imap,
                                   "auth_failure_delay": "0", "auth_ban_threshold": "3",
                                   "auth_ban_window": "10m", "auth_ban_time": "1h"})
    server.pop3_port, server.imap_port = pop3, imap
    banned = "127.0.0.8"
    # three failures, one per protocol
    assert smtp_auth(server, banned, "wrong").code == 535
    assert imap_login(server, banned, "wrong").startswith("a NO [AUTHENTICATIONFAILED]")
    assert pop3_login(server, banned, "wrong").startswith("-ERR [AUTH]")
    # now refused everywhere, even with the right password: "try later" answers
    r = smtp_auth(server, banned, PASSWORD)
    assert r.code == 454 and r.enhanced == "4.7.0", r
    assert imap_login(server, banned, PASSWORD).startswith("a NO [UNAVAILABLE]")
    assert pop3_login(server, banned, PASSWORD).startswith("-ERR [SYS/TEMP]")
    # another address is not
    assert smtp_auth(server, "127.0.0.18", PASSWORD).code == 235
    out = server.cli("ban", "list").stdout.decode()
    assert out.startswith(banned + " banned until ") and "(3 failed logins)" in out, out
    assert "127.0.0.18" not in out

    # kept across a restart (bans.db), and listed from the file while stopped
    server.stop()
    out = server.cli("ban", "list").stdout.decode()
    assert out.startswith(banned + " banned until "), out
    server.start()
    assert pop3_login(server, banned, PASSWORD).startswith("-ERR [SYS/TEMP]")

    # lifted through the running server
    out = server.cli("ban", "del", banned).stdout.decode()
    assert "ban lifted" in out, out
    assert server.cli("ban", "list").stdout.decode() == ""
    assert pop3_login(server, banned, PASSWORD).startswith("+OK")
    assert imap_login(server, banned, PASSWORD).startswith("a OK")
    assert smtp_auth(server, banned, PASSWORD).code == 235
    p = server.cli("ban", "del", banned, check=False)
    assert p.returncode != 0 and b"not banned" in p.stderr, p


# -- greylisting -------------------------------------------------------------------------

def test_greylist_first_451_then_retry_passes(yubin_factory):
    server = yubin_factory(config={"greylist": "yes", "greylist_delay": "2s"})
    t0 = time.monotonic()

    def attempt(sender, source="127.0.0.9"):
        c = RawSMTP(server.host, server.smtp_port, source=source)
        c.greet()
        c.expect("MAIL FROM:<%s>" % sender, 250)
        r = c.cmd("RCPT TO:<bob@example.test>")
        c.cmd("QUIT")
        return r

    r = attempt("someone@sender.test")
    assert r.code == 451 and r.enhanced == "4.7.1", r
    r = attempt("someone@sender.test")  # too early
    assert r.code == 451, r
    time.sleep(max(0, 2.2 - (time.monotonic() - t0)))
    assert attempt("someone@sender.test").code == 250
    # the client's network (127.0.0.0/24) passed: another sender and address pass too
    assert attempt("other@sender.test", source="127.0.0.19").code == 250
    # kept across a restart (greylist.db)
    server.restart()
    assert attempt("third@sender.test").code == 250


def test_greylist_is_off_by_default(server):
    c = RawSMTP(server.host, server.smtp_port, source="127.0.0.9")
    c.greet()
    c.expect("MAIL FROM:<someone@sender.test>", 250)
    c.expect("RCPT TO:<bob@example.test>", 250)
    c.expect("QUIT", 221)


def test_bad_guard_settings_are_refused(yubin_factory):
    server = yubin_factory(start=False)
    for key, value in [("dnsbl_zones", "bad..zone"), ("dnsbl_zones", "zen.test=maybe"),
                       ("submission_rate_limit", "10"), ("submission_rate_limit", "a/b"),
                       ("greylist", "maybe")]:
        server.settings[key] = value
        server.write_config()
        p = server.cli("check", check=False)
        assert p.returncode != 0, (key, value, p)
        del server.settings[key]
    server.settings.update({"dnsbl_zones": "zen.test=reject bl.test=2 other.test",
                            "submission_rate_limit": "200/1000", "greylist": "yes"})
    server.write_config()
    out = server.cli("check").stdout.decode()
    assert "dnsbl_zones = zen.test=reject, bl.test=2, other.test" in out, out
    assert "submission_rate_limit = 200/1000" in out and "greylist = yes" in out, out



"""SMTP commands (RFC 5321 4.1): greeting, EHLO extensions, HELO, NOOP, RSET, VRFY, HELP, QUIT,
and the error replies for unknown commands, bad syntax, commands out of sequence and
over-long command lines."""
import re

import pytest

from conftest import HOSTNAME
from helpers import make_msg, send_raw_message, split_prefix


def test_greeting_and_ehlo_extensions(server):
    with server.raw() as c:
        banner = c.reply()
        assert banner.code == 220
        assert banner.lines[0].startswith(HOSTNAME), banner
        r = c.expect("EHLO client.example.test", 250)
        assert r.lines[0].startswith(HOSTNAME), r
        kw = {line.split()[0].upper(): line.split()[1:] for line in r.lines[1:] if line}
        for ext in ("PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING",
                    "STARTTLS", "SIZE"):
            assert ext in kw, "EHLO lacks %s: %r" % (ext, r.lines)
        assert kw["SIZE"] == ["10485760"], r.lines
        c.expect("QUIT", 221)
        c.wait_closed()


def test_size_advertises_configured_limit(yubin_factory):
    srv = yubin_factory(config={"message_size_limit": "123456"})
    with srv.smtp() as s:
        assert s.has_extn("size")
        assert s.esmtp_features["size"] == "123456"


def test_helo_then_mail(server):
    with server.raw() as c:
        assert c.reply().code == 220
        r = c.expect("HELO client.example.test", 250)
        assert len(r.lines) == 1
        msg = make_msg()
        r = send_raw_message(c, "sender@client.example.test", ["alice@example.test"], msg)
        assert r.code == 250, r
        c.expect("QUIT", 221)
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    split_prefix(stored[0], msg)


def test_ehlo_without_domain_is_syntax_error(server):
    with server.raw() as c:
        assert c.reply().code == 220
        r = c.cmd("EHLO")
        assert r.code == 501 and r.enhanced == "5.5.4", r
        c.expect("EHLO client.example.test", 250)


def test_noop_rset_quit(server):
    with server.raw() as c:
        c.greet()
        c.expect("NOOP", 250, "2.0.0")
        c.expect("noop", 250)
        c.expect("NOOP some argument", 250)
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("RSET", 250, "2.0.0")
        # the transaction is gone
        r = c.cmd("RCPT TO:<alice@example.test>")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        r = c.cmd("QUIT")
        assert r.code == 221 and r.enhanced == "2.0.0", r
        c.wait_closed()
    assert server.count("alice@example.test") == 0


def test_verbs_are_case_insensitive(server):
    with server.raw() as c:
        assert c.reply().code == 220
        c.expect("eHlO client.example.test", 250)
        c.expect("mail from:<sender@client.example.test>", 250)
        c.expect("rcpt to:<alice@example.test>", 250)
        c.expect("data", 354)


def test_vrfy_never_tells(server):
    with server.raw() as c:
        c.greet()
        a = c.cmd("VRFY alice@example.test")
        b = c.cmd("VRFY nosuchuser@example.test")
        d = c.cmd("VRFY alice")
        assert a.code == b.code == d.code == 252, (a, b, d)
        norm = lambda r, arg: r.text.replace(arg, "ARG")  # noqa: E731
        assert norm(a, "alice@example.test") == norm(b, "nosuchuser@example.test"), (a, b)


def test_help(server):
    with server.raw() as c:
        c.greet()
        r = c.cmd("HELP")
        assert r.code in (211, 214), r
        r = c.cmd("HELP MAIL")
        assert r.code in (211, 214, 504), r
        c.expect("NOOP", 250)


def test_unknown_command(server):
    with server.raw() as c:
        c.greet()
        for line in ("FOO", "XYZZY bar", "MAILFROM:<a@b>", "EXPNX x"):
            r = c.cmd(line)
            assert r.code == 500 and r.enhanced == "5.5.2", (line, r)
        c.expect("NOOP", 250)


@pytest.mark.parametrize("line", [
    "MAIL FROM:<sender@client.example.test",
    "MAIL TO:<sender@client.example.test>",
    "MAIL FROM:",
    "MAIL FROM:<a@b@c>",
    "MAIL FROM:<sender@client.example.test> SIZE=abc",
    "MAIL FROM:<sender@client.example.test> SIZE=",
    "MAIL FROM:<sender@client.example.test> BODY=9BITMIME",
    "MAIL FROM:<sender@client.example.test>BODY=8BITMIME",
])
def test_mail_syntax_errors(server, line):
    with server.raw() as c:
        c.greet()
        r = c.cmd(line)
        assert r.code in (501, 555) and r.enhanced[:4] in ("5.5.", "5.1."), (line, r)
        # nothing was started
        r = c.cmd("RCPT TO:<alice@example.test>")
        assert r.code == 503, r
        c.expect("MAIL FROM:<sender@client.example.test>", 250)


@pytest.mark.parametrize("line", [
    "RCPT TO:<alice@example.test",
    "RCPT FROM:<alice@example.test>",
    "RCPT TO:",
    "RCPT TO:<>",
    "RCPT TO:<alice@@example.test>",
])
def test_rcpt_syntax_errors(server, line):
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        r = c.cmd(line)
        assert r.code == 501 and r.enhanced[:4] in ("5.5.", "5.1."), (line, r)
        # still in the transaction: a good RCPT works
        c.expect("RCPT TO:<alice@example.test>", 250)


@pytest.mark.parametrize("line", ["DATA now", "RSET all", "QUIT please", "STARTTLS x"])
def test_arguments_where_none_allowed(server, line):
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        r = c.cmd(line)
        assert r.code == 501 and r.enhanced == "5.5.4", (line, r)
        c.expect("NOOP", 250)


def test_out_of_sequence(server):
    with server.raw() as c:
        c.greet()
        for line in ("RCPT TO:<alice@example.test>", "DATA", "BDAT 0 LAST"):
            r = c.cmd(line)
            assert r.code == 503 and r.enhanced == "5.5.1", (line, r)
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        r = c.cmd("MAIL FROM:<sender@client.example.test>")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: x\r\n\r\nbody\r\n.\r\n")
        assert c.reply().code == 250
    assert server.count("alice@example.test") == 1


def test_sequence_replies_of_the_command_table(server):
    """The command table checks sequence in one place (RFC 5321 4.1.4): each command out
    of sequence keeps its reply, code and text."""
    with server.raw() as c:
        assert c.reply().code == 220  # no EHLO yet
        for line, text in (("MAIL FROM:<a@client.example.test>", "send HELO/EHLO first"),
                           ("RCPT TO:<alice@example.test>", "need MAIL command"),
                           ("DATA", "need RCPT command"),
                           ("AUTH PLAIN", "authentication not enabled")):
            r = c.cmd(line)
            assert (r.code, r.enhanced) == (503, "5.5.1") and text in r.text, (line, r)
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<a@client.example.test>", 250)
        for line, text in (("MAIL FROM:<a@client.example.test>", "nested MAIL command"),
                           ("STARTTLS", "STARTTLS inside a transaction"),
                           ("AUTH PLAIN", "MAIL transaction in progress")):
            r = c.cmd(line)
            assert (r.code, r.enhanced) == (503, "5.5.1") and text in r.text, (line, r)
        assert c.cmd("RCPT TO:<nobody@example.test>").code == 550
        r = c.cmd("DATA")  # every RCPT refused (RFC 5321 3.3)
        assert (r.code, r.enhanced) == (554, "5.5.1") and "no valid recipients" in r.text, r


def test_data_without_rcpt(server):
    """DATA after MAIL but before any RCPT: 503 5.5.1 (RFC 5321 3.3; the issue asks 503 for
    every command out of sequence). 554 "no valid recipients" is for when RCPTs were given
    and all refused (RFC 2920 3.1)."""
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        r = c.cmd("DATA")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)


def test_mail_before_ehlo_is_rejected_or_accepted_consistently(server):
    """RFC 5321 4.1.4: a session starts with EHLO/HELO; a server may refuse MAIL before it
    with 503. Whatever it does, it must not crash nor accept RCPT without MAIL."""
    with server.raw() as c:
        assert c.reply().code == 220
        r = c.cmd("MAIL FROM:<sender@client.example.test>")
        assert r.code in (250, 503), r
        c.expect("EHLO client.example.test", 250)
        c.expect("MAIL FROM:<sender@client.example.test>", 250)


def test_ehlo_resets_transaction(server):
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("EHLO again.example.test", 250)
        r = c.cmd("DATA")
        assert r.code == 503, r


def test_512_octet_command_line_accepted(server):
    """RFC 5321 4.5.3.1.4: command lines of 512 octets (with CRLF) must be accepted."""
    with server.raw() as c:
        c.greet()
        line = "NOOP " + "x" * 505
        assert len(line) + 2 == 512
        c.expect(line, 250)
        # a MAIL line with a long address and all the parameters the extensions allow
        addr = "l" * 64 + "@" + ".".join(["d" * 60] * 4) + ".test"
        r = c.cmd("MAIL FROM:<%s> SIZE=1000 BODY=8BITMIME SMTPUTF8" % addr)
        assert r.code == 250, r


def test_overlong_command_line(server):
    with server.raw() as c:
        c.greet()
        c.send(b"NOOP " + b"A" * 5000 + b"NOOP" + b"B" * 5000 + b"\r\nNOOP\r\n")
        r = c.reply()
        assert r.code == 500 and r.enhanced == "5.5.2", r
        r = c.reply()
        assert r.code == 250, r
        # exactly one reply for the long line: its tail was not run as a command
        assert c.nothing_pending(), c.buf
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.send(b"RCPT TO:<" + b"x" * 10000 + b"@example.test>\r\n")
        r = c.reply()
        assert r.code == 500 and r.enhanced == "5.5.2", r
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: after long line\r\n\r\nok\r\n.\r\n")
        assert c.reply().code == 250
    stored = server.messages("alice@example.test")
    assert len(stored) == 1 and stored[0].endswith(b"Subject: after long line\r\n\r\nok\r\n")


def test_overlong_line_in_chunks(server):
    """The long line arrives slowly, in pieces: one 500 5.5.2 at its end, not several."""
    import time
    with server.raw() as c:
        c.greet()
        for _ in range(10):
            c.send(b"Z" * 2000)
            time.sleep(0.02)
        c.send(b"\r\nNOOP\r\n")
        r = c.reply()
        assert r.code == 500 and r.enhanced == "5.5.2", r
        assert c.reply().code == 250
        assert c.nothing_pending()


def test_nul_in_command(server):
    with server.raw() as c:
        c.greet()
        c.send(b"MAIL FROM:<sender@client\x00.example.test>\r\n")
        r = c.reply()
        assert 500 <= r.code < 600, r
        c.expect("NOOP", 250)


def test_quit_closes(server):
    with server.raw() as c:
        c.greet()
        c.send(b"QUIT\r\nNOOP\r\n")
        r = c.reply()
        assert r.code == 221, r
        rest = c.wait_closed()
        assert rest == b"", "server answered after QUIT: %r" % rest


def test_session_survives_many_transactions(server):
    with server.raw() as c:
        c.greet()
        sent = []
        for i in range(20):
            msg = make_msg(subject="n%d" % i)
            sent.append(msg)
            r = send_raw_message(c, "sender@client.example.test", ["bob@example.test"], msg)
            assert r.code == 250 and r.enhanced == "2.0.0", r
        c.expect("QUIT", 221)
    stored = server.messages("bob@example.test")
    assert len(stored) == 20
    for s, m in zip(stored, sent):
        split_prefix(s, m)
    # a queue id in the 250 reply is common but not required; the subjects keep their order
    assert [re.search(rb"Subject: (n\d+)", s).group(1) for s in stored] == \
        [b"n%d" % i for i in range(20)]

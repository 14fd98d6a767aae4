"""DATA (RFC 5321 4.5.2, 3.3): the end-of-data sequence and SMTP smuggling, dot-stuffing,
bare CR/LF, long lines, big 8-bit messages, and the size limit (RFC 1870)."""
import random

import pytest

from helpers import has_bare_cr_or_lf, make_msg, send_raw_message, split_prefix
from smtpraw import data_payload

SMUGGLE = (b"MAIL FROM:<evil@remote.example>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
           b"Subject: injected\r\n\r\nsmuggled body\r\n")

# every byte value but NUL, CR and LF (mapped to other 8-bit values)
_NO_CRLF = bytes(b if b not in (0, 10, 13) else 0x80 | b for b in range(256))


# Sequences that a careless server takes for <CRLF>.<CRLF> (the 2023 "SMTP smuggling" class).
SMUGGLING_ENDS = [
    b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r", b"\n.\r", b"\r.\n", b"\r.\r",
    b"\r\n.\r\r\n", b"\r\n\x00.\r\n", b"\n..\n", b"\r\n.\n\r\n",
]


def open_data(server, rcpts=("alice@example.test",)):
    c = server.raw()
    c.greet()
    c.expect("MAIL FROM:<sender@client.example.test>", 250)
    for r in rcpts:
        c.expect("RCPT TO:<%s>" % r, 250)
    c.expect("DATA", 354)
    return c


@pytest.mark.parametrize("seq", SMUGGLING_ENDS, ids=lambda s: repr(s)[2:-1])
def test_smuggling_sequences_do_not_end_data(server, seq):
    body_start = b"Subject: smuggle test\r\n\r\nbefore"
    with open_data(server) as c:
        c.send(body_start + seq + SMUGGLE + b"after\r\n.\r\n")
        r = c.reply()
        assert r.code == 250, r
        # one reply only: nothing in the body ran as a command
        assert c.nothing_pending(), "extra replies: %r" % c.buf
        c.expect("NOOP", 250)
    assert server.count("bob@example.test") == 0, "smuggled message delivered"
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    m = stored[0]
    assert b"before" in m and SMUGGLE in m and m.endswith(b"after\r\n"), m
    assert not has_bare_cr_or_lf(m), "bare CR or LF stored: %r" % m


def test_smuggling_vectors_in_one_message_with_pipelined_commands(server):
    """All vectors at once, with the attacker's commands pipelined after each."""
    payload = b"Subject: many\r\n\r\n"
    for seq in SMUGGLING_ENDS:
        payload += b"x" + seq + SMUGGLE
    with open_data(server) as c:
        c.send(payload + b".\r\nNOOP\r\n")
        assert c.reply().code == 250
        assert c.reply().code == 250  # the NOOP
        assert c.nothing_pending()
    assert server.count("bob@example.test") == 0
    assert server.count("alice@example.test") == 1
    assert server.messages("alice@example.test")[0].count(b"smuggled body") == len(SMUGGLING_ENDS)


@pytest.mark.parametrize("sent,stored", [
    (b"a\nb\r\n", b"a\r\nb\r\n"),
    (b"a\rb\r\n", b"a\r\nb\r\n"),
    (b"a\r\rb\r\n", b"a\r\n\r\nb\r\n"),
    (b"a\n\nb\r\n", b"a\r\n\r\nb\r\n"),
    (b"a\r\r\nb\r\n", b"a\r\n\r\nb\r\n"),
    (b"tail-bare-lf\n", b"tail-bare-lf\r\n"),
])
def test_bare_cr_lf_stored_as_crlf(server, sent, stored):
    head = b"Subject: bare\r\n\r\n"
    with open_data(server) as c:
        c.send(head + sent + b".\r\n" if sent.endswith(b"\r\n") else head + sent + b"\r\n.\r\n")
        assert c.reply().code == 250
    m = server.messages("alice@example.test")[0]
    expect = head + stored if sent.endswith(b"\r\n") else head + stored + b"\r\n"
    split_prefix(m, expect)


def test_dot_stuffing_undone_exactly(server):
    msg = (b"Subject: dots\r\n\r\n.\r\n..\r\n...\r\n.hidden\r\n..two\r\nmid.dle\r\n"
           b". space\r\n.\r\nend.\r\n.")
    with open_data(server) as c:
        c.send(data_payload(msg))
        assert c.reply().code == 250
    split_prefix(server.messages("alice@example.test")[0], msg + b"\r\n")


def test_first_line_dot_stuffed(server):
    msg = b".starts with a dot\r\n\r\nbody\r\n"
    with open_data(server) as c:
        c.send(b"." + msg + b".\r\n")
        assert c.reply().code == 250
    m = server.messages("alice@example.test")[0]
    assert m.endswith(b"\r\n" + msg), m


def test_empty_message(server):
    with open_data(server) as c:
        c.send(b".\r\n")
        r = c.reply()
        assert r.code in (250, 554), r
    if r.code == 250:
        assert server.count("alice@example.test") == 1


def test_end_of_data_split_across_packets(server):
    import time
    with open_data(server) as c:
        for piece in (b"Subject: split\r\n\r\nbody\r", b"\n", b".", b"\r", b"\n"):
            c.send(piece)
            time.sleep(0.05)
        assert c.reply().code == 250
    split_prefix(server.messages("alice@example.test")[0], b"Subject: split\r\n\r\nbody\r\n")


def test_one_byte_at_a_time(server):
    msg = make_msg(body=b".leading\r\nline\r\n\r\n..\r\n")
    with open_data(server) as c:
        for b in data_payload(msg):
            c.send(bytes([b]))
        assert c.reply().code == 250
    split_prefix(server.messages("alice@example.test")[0], msg)


def test_100k_line_byte_exact(server):
    line = random.Random(1).randbytes(100_000).translate(_NO_CRLF)
    msg = make_msg(body=b"short\r\n" + line + b"\r\nafter\r\n")
    with open_data(server) as c:
        c.send(data_payload(msg))
        assert c.reply().code == 250
    split_prefix(server.messages("alice@example.test")[0], msg)


def eight_bit_message(size, seed=5):
    rnd = random.Random(seed)
    lines = []
    total = 0
    while total < size:
        n = rnd.choice((0, 1, 5, 76, 77, 998, 999, 1000, 4000, rnd.randrange(1, 3000)))
        line = rnd.randbytes(n).translate(_NO_CRLF)
        if rnd.random() < 0.05:
            line = b"." + line
        lines.append(line)
        total += n + 2
    head = b"Subject: eight bit\r\nContent-Type: application/octet-stream\r\n" \
           b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    return head + b"\r\n".join(lines) + b"\r\n"


def test_5mb_8bit_message_byte_exact(server):
    msg = eight_bit_message(5 * 1024 * 1024)
    with server.raw() as c:
        c.greet()
        r = send_raw_message(c, "sender@client.example.test", ["alice@example.test", "bob@example.test"],
                             msg, mail_params="BODY=8BITMIME SIZE=%d" % len(msg))
        assert r.code == 250, r
    for u in ("alice", "bob"):
        stored = server.messages("%s@example.test" % u)
        assert len(stored) == 1
        split_prefix(stored[0], msg)


def test_size_param_over_limit(yubin_factory):
    srv = yubin_factory(config={"message_size_limit": "100000"})
    with srv.raw() as c:
        c.greet()
        r = c.cmd("MAIL FROM:<sender@client.example.test> SIZE=100001")
        assert r.code == 552 and r.enhanced == "5.3.4", r
        r = c.cmd("RCPT TO:<alice@example.test>")
        assert r.code == 503, r
        c.expect("MAIL FROM:<sender@client.example.test> SIZE=90000", 250)


def test_data_over_limit_rejected_after_data(yubin_factory):
    srv = yubin_factory(config={"message_size_limit": "100000"})
    big = make_msg(subject="too big", body=(b"y" * 998 + b"\r\n") * 150)
    ok = make_msg(subject="fits", body=b"small\r\n")
    with srv.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        # the server must read to the end of the data, then answer once
        c.send(data_payload(big) + b"NOOP\r\n")
        r = c.reply()
        assert r.code == 552 and r.enhanced == "5.3.4", r
        assert c.reply().code == 250  # NOOP: the rest of the data was not run as commands
        assert c.nothing_pending()
        r = send_raw_message(c, "sender@client.example.test", ["alice@example.test"], ok)
        assert r.code == 250, r
    stored = srv.messages("alice@example.test")
    assert len(stored) == 1
    split_prefix(stored[0], ok)
    assert b"y" * 998 not in srv.store.all_files_bytes()


def test_data_over_limit_by_far(yubin_factory):
    """8 MB against a 64 KiB limit: rejected, the server does not buffer it all, session
    goes on."""
    srv = yubin_factory(config={"message_size_limit": "65536"})
    with srv.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        chunk = (b"z" * 1000 + b"\r\n") * 1000
        for _ in range(8):
            c.send(chunk)
        c.send(b".\r\n")
        r = c.reply()
        assert r.code == 552 and r.enhanced == "5.3.4", r
        c.expect("NOOP", 250)
    assert srv.count("alice@example.test") == 0

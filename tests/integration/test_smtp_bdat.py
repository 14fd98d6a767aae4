"""BDAT (RFC 3030 CHUNKING): single and multiple chunks, BDAT LAST and BDAT 0 LAST, chunk
contents kept as sent (no dot processing), CRLF across chunk boundaries, errors, the size
limit, and pipelined chunks."""
from helpers import has_bare_cr_or_lf, make_msg, split_prefix


def begin(server, rcpts=("alice@example.test",)):
    c = server.raw()
    ehlo = c.greet()
    assert any(line.upper() == "CHUNKING" for line in ehlo.lines[1:])
    c.expect("MAIL FROM:<sender@client.example.test>", 250)
    for r in rcpts:
        c.expect("RCPT TO:<%s>" % r, 250)
    return c


def bdat(c, chunk, last=False):
    c.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
    return c.reply()


def test_bdat_single_chunk_last(server):
    msg = make_msg(subject="bdat one")
    with begin(server, ("alice@example.test", "bob@example.test")) as c:
        r = bdat(c, msg, last=True)
        assert r.code == 250 and r.enhanced == "2.0.0", r
        c.expect("NOOP", 250)
    for u in ("alice", "bob"):
        stored = server.messages("%s@example.test" % u)
        assert len(stored) == 1
        split_prefix(stored[0], msg)


def test_bdat_several_chunks_then_zero_last(server):
    msg = make_msg(subject="bdat many", body=b"".join(b"line %d\r\n" % i for i in range(500)))
    with begin(server) as c:
        pieces = [msg[i:i + 777] for i in range(0, len(msg), 777)]
        for p in pieces:
            r = bdat(c, p)
            assert r.code == 250, r
        r = bdat(c, b"", last=True)
        assert r.code == 250, r
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    split_prefix(stored[0], msg)


def test_bdat_data_is_not_dot_processed(server):
    """A '.' line or '..' in a chunk is content, not an end or stuffing; so is what looks like
    commands after it."""
    msg = (b"Subject: dots in bdat\r\n\r\n..double\r\n.\r\nMAIL FROM:<evil@remote.example>\r\n"
           b"RCPT TO:<bob@example.test>\r\nDATA\r\n.\r\n")
    with begin(server) as c:
        r = bdat(c, msg, last=True)
        assert r.code == 250, r
        assert c.nothing_pending()
    assert server.count("bob@example.test") == 0
    split_prefix(server.messages("alice@example.test")[0], msg)


def test_bdat_crlf_split_across_chunks(server):
    with begin(server) as c:
        assert bdat(c, b"Subject: split crlf\r\n\r\nfirst\r").code == 250
        assert bdat(c, b"\nsecond\r\n").code == 250
        assert bdat(c, b"third\r\n", last=True).code == 250
    split_prefix(server.messages("alice@example.test")[0],
                 b"Subject: split crlf\r\n\r\nfirst\r\nsecond\r\nthird\r\n")


def test_bdat_bare_lf_normalized(server):
    with begin(server) as c:
        assert bdat(c, b"Subject: bare\n\nline one\nline two\rline three\r\n", last=True).code == 250
    m = server.messages("alice@example.test")[0]
    assert not has_bare_cr_or_lf(m), m
    assert m.endswith(b"Subject: bare\r\n\r\nline one\r\nline two\r\nline three\r\n"), m


def test_bdat_binary_8bit_byte_exact(server):
    body = bytes(b for b in range(256) if b not in (10, 13)) * 200
    msg = make_msg(subject="binary", body=body + b"\r\n")
    with begin(server) as c:
        r = bdat(c, msg, last=True)
        assert r.code == 250, r
    split_prefix(server.messages("alice@example.test")[0], msg)


def test_bdat_pipelined(server):
    m1 = make_msg(subject="pipe 1")
    m2 = make_msg(subject="pipe 2")
    half = len(m1) // 2
    with server.raw() as c:
        c.greet()
        c.send(b"MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<carol@example.test>\r\n"
               b"BDAT %d\r\n%sBDAT %d LAST\r\n%s" % (half, m1[:half], len(m1) - half, m1[half:])
               + b"MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<carol@example.test>\r\n"
               b"BDAT %d LAST\r\n%sQUIT\r\n" % (len(m2), m2))
        codes = [c.reply().code for _ in range(8)]
        assert codes == [250, 250, 250, 250, 250, 250, 250, 221], codes
    stored = server.messages("carol@example.test")
    assert len(stored) == 2
    split_prefix(stored[0], m1)
    split_prefix(stored[1], m2)


def test_bdat_without_transaction_consumes_chunk(server):
    """A rejected BDAT's chunk is still read (RFC 3030 2): its bytes never run as commands."""
    with server.raw() as c:
        c.greet()
        c.send(b"BDAT 6\r\nNOOP\r\nRSET\r\n")
        r = c.reply()
        assert r.code == 503 and r.enhanced == "5.5.1", r
        r = c.reply()
        assert r.code == 250, r  # the RSET
        assert c.nothing_pending(), "chunk bytes were run as a command: %r" % c.buf


def test_bdat_syntax(server):
    with begin(server) as c:
        for line in ("BDAT", "BDAT abc", "BDAT -1", "BDAT 99999999999999999999999"):
            r = c.cmd(line)
            assert r.code == 501 and r.enhanced == "5.5.4", (line, r)
        assert bdat(c, b"Subject: ok\r\n\r\nok\r\n", last=True).code == 250
    assert server.count("alice@example.test") == 1


def test_data_after_bdat_is_out_of_sequence(server):
    with begin(server) as c:
        assert bdat(c, b"Subject: mixed\r\n\r\n").code == 250
        r = c.cmd("DATA")
        assert r.code == 503 and r.enhanced == "5.5.1", r
        assert bdat(c, b"body\r\n", last=True).code == 250
    split_prefix(server.messages("alice@example.test")[0], b"Subject: mixed\r\n\r\nbody\r\n")


def test_bdat_after_last_needs_new_transaction(server):
    with begin(server) as c:
        assert bdat(c, b"Subject: x\r\n\r\nx\r\n", last=True).code == 250
        c.send(b"BDAT 3\r\nabc")
        r = c.reply()
        assert r.code == 503, r
        c.expect("NOOP", 250)
    assert server.count("alice@example.test") == 1


def test_bdat_over_size_limit(yubin_factory):
    srv = yubin_factory(config={"message_size_limit": "50000"})
    with begin(srv) as c:
        codes = []
        chunk = b"q" * 998 + b"\r\n"
        codes.append(bdat(c, b"Subject: too big\r\n\r\n").code)
        for _ in range(60):
            c.send(b"BDAT %d\r\n%s" % (len(chunk), chunk))
            r = c.reply()
            codes.append(r.code)
            if r.code != 250:
                break
        if codes[-1] == 250:
            r = bdat(c, b"", last=True)
            codes.append(r.code)
        assert r.code == 552 and r.enhanced == "5.3.4", (codes, r)
        # the session goes on and a new transaction works
        c.expect("RSET", 250)
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        assert bdat(c, b"Subject: small\r\n\r\nsmall\r\n", last=True).code == 250
    stored = srv.messages("alice@example.test")
    assert len(stored) == 1 and stored[0].endswith(b"Subject: small\r\n\r\nsmall\r\n")
    assert b"q" * 998 not in srv.store.all_files_bytes()

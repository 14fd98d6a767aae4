"""Local delivery through SMTP: recipients (unknown users, relay denial, aliases, +tags, case),
the headers the server adds (Received, Return-Path, Delivered-To), the recipient limit, and
that stored mail survives a restart."""
import email.utils
import re
import smtplib
import uuid

import pytest

from conftest import HOSTNAME
from helpers import header_values, make_msg, send_raw_message, split_prefix


def deliver(server, rcpts, msg=None, sender="sender@client.example.test"):
    msg = msg or make_msg()
    with server.smtp() as s:
        refused = s.sendmail(sender, rcpts, msg)
        assert refused == {}
    return msg


def test_basic_delivery_and_added_headers(server):
    msg = make_msg(body=b"first line\r\nsecond line\r\n")
    deliver(server, ["alice@example.test"], msg, sender="Sender@Client.example.test")
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    headers = split_prefix(stored[0], msg)
    names = [n for n, _ in headers]
    assert names[0] == "return-path", headers
    assert header_values(headers, "return-path") == ["<Sender@Client.example.test>"]
    dt = header_values(headers, "delivered-to")
    assert len(dt) == 1 and dt[0].lower() == "alice@example.test", headers
    rec = header_values(headers, "received")
    assert len(rec) == 1, headers
    r = rec[0]
    assert re.search(r"\bfrom client\.example\.test\b", r), r
    assert "127.0.0.1" in r, r
    assert re.search(r"\bby %s\b" % re.escape(HOSTNAME), r), r
    assert re.search(r"\bwith ESMTP\b", r), r
    assert re.search(r"\bfor <alice@example\.test>", r, re.I) or "for" not in r, r
    date = r.rsplit(";", 1)[1].strip()
    assert email.utils.parsedate_to_datetime(date) is not None, r
    # the other accounts got nothing
    assert server.count("bob@example.test") == 0


def test_received_with_helo_says_smtp(server):
    with server.raw() as c:
        assert c.reply().code == 220
        c.expect("HELO oldclient.example.test", 250)
        msg = make_msg()
        assert send_raw_message(c, "s@client.example.test", ["bob@example.test"], msg).code == 250
    rec = header_values(split_prefix(server.messages("bob@example.test")[0], msg), "received")
    assert re.search(r"\bwith SMTP\b", rec[0]), rec
    assert "oldclient.example.test" in rec[0]


def test_null_sender(server):
    msg = make_msg(subject="bounce")
    deliver(server, ["alice@example.test"], msg, sender="")
    headers = split_prefix(server.messages("alice@example.test")[0], msg)
    assert header_values(headers, "return-path") == ["<>"]


def test_several_recipients_each_get_own_delivered_to(server):
    msg = make_msg()
    deliver(server, ["alice@example.test", "bob@example.test", "carol@example.test"], msg)
    for u in ("alice", "bob", "carol"):
        stored = server.messages("%s@example.test" % u)
        assert len(stored) == 1, u
        headers = split_prefix(stored[0], msg)
        assert [v.lower() for v in header_values(headers, "delivered-to")] == \
            ["%s@example.test" % u]
    assert server.count("dave@example.test") == 0


def test_unknown_local_user(server):
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        for rcpt in ("nosuch@example.test", "nosuch@EXAMPLE.TEST", "nosuch+tag@example.test"):
            r = c.cmd("RCPT TO:<%s>" % rcpt)
            assert r.code == 550 and r.enhanced == "5.1.1", (rcpt, r)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: x\r\n\r\nx\r\n.\r\n")
        assert c.reply().code == 250
    assert server.count("alice@example.test") == 1


@pytest.mark.parametrize("rcpt", [
    "someone@remote.example",
    "someone@REMOTE.example",
    "someone@example.test.remote.example",
    "someone@sub.example.test",
    "someone@[192.0.2.1]",
])
def test_relay_denied_without_mynetworks(server, rcpt):
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert r.code == 554 and r.enhanced == "5.7.1", (rcpt, r)
        r = c.cmd("DATA")
        assert r.code in (503, 554), r


@pytest.mark.parametrize("rcpt", [
    "someone%remote.example@example.test",
    "@example.test:someone@remote.example",
    "someone@remote.example@example.test",
    "someone!remote.example@example.test",
    "\"someone@remote.example\"@example.test",
])
def test_relay_tricks_rejected(server, rcpt):
    """Old relay tricks (percent hack, source routes, bang paths, quoted @) are no way out."""
    with server.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        assert 500 <= r.code < 600, (rcpt, r)


def test_relay_allowed_from_mynetworks(yubin_factory):
    srv = yubin_factory(config={"mynetworks": "127.0.0.0/8"})
    with srv.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd("RCPT TO:<someone@remote.example>")
        assert r.code == 250, r
        c.expect("RSET", 250)
    # the client network match is by address: 127.0.0.2 is inside 127.0.0.0/8 but not 127.0.0.1/32
    srv2 = yubin_factory(config={"mynetworks": "127.0.0.1/32"})
    with srv2.raw(source="127.0.0.2") as c:
        c.greet()
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd("RCPT TO:<someone@remote.example>")
        assert r.code == 554 and r.enhanced == "5.7.1", r
    with srv2.raw(source="127.0.0.1") as c:
        c.greet()
        c.expect("MAIL FROM:<alice@example.test>", 250)
        assert c.cmd("RCPT TO:<someone@remote.example>").code == 250


def test_alias_with_several_targets(server):
    msg = make_msg()
    deliver(server, ["team@example.test"], msg)
    for u in ("alice", "bob"):
        stored = server.messages("%s@example.test" % u)
        assert len(stored) == 1, u
        headers = split_prefix(stored[0], msg)
        assert len(header_values(headers, "delivered-to")) == 1
        assert header_values(headers, "return-path") == ["<sender@client.example.test>"]
    assert server.count("carol@example.test") == 0


def test_nested_alias_and_case(yubin_factory):
    srv = yubin_factory(aliases={
        "team@example.test": ["alice@example.test", "bob@example.test"],
        "all@example.test": ["team@example.test", "carol@example.test"],
    })
    msg = make_msg()
    deliver(srv, ["all@EXAMPLE.Test"], msg)
    for u in ("alice", "bob", "carol"):
        assert len(srv.messages("%s@example.test" % u)) == 1, u
    assert srv.count("dave@example.test") == 0


def test_plus_tag_delivers_to_user(server):
    msg = make_msg()
    deliver(server, ["alice+lists@example.test"], msg)
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    headers = split_prefix(stored[0], msg)
    dt = header_values(headers, "delivered-to")
    assert len(dt) == 1 and dt[0].lower() in ("alice@example.test", "alice+lists@example.test")


def test_custom_recipient_delimiter(yubin_factory):
    srv = yubin_factory(config={"recipient_delimiter": "-"})
    deliver(srv, ["bob-news@example.test"], make_msg())
    assert srv.count("bob@example.test") == 1


def test_domain_is_case_insensitive(server):
    deliver(server, ["carol@EXAMPLE.TEST"], make_msg())
    deliver(server, ["carol@Example.Test"], make_msg())
    assert server.count("carol@example.test") == 2


def test_max_recipients(yubin_factory):
    srv = yubin_factory(config={"smtp_max_recipients": "3"})
    msg = make_msg()
    with srv.raw() as c:
        c.greet()
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        for u in ("alice", "bob", "carol"):
            c.expect("RCPT TO:<%s@example.test>" % u, 250)
        r = c.cmd("RCPT TO:<dave@example.test>")
        assert r.code == 452 and r.enhanced == "4.5.3", r
        c.expect("DATA", 354)
        c.send(msg + b".\r\n")
        assert c.reply().code == 250
        # the limit is per transaction
        c.expect("MAIL FROM:<sender@client.example.test>", 250)
        c.expect("RCPT TO:<dave@example.test>", 250)
        c.expect("RSET", 250)
    for u in ("alice", "bob", "carol"):
        assert srv.count("%s@example.test" % u) == 1
    assert srv.count("dave@example.test") == 0


def test_smtplib_reports_refused_recipients(server):
    with server.smtp() as s:
        refused = s.sendmail("sender@client.example.test",
                             ["alice@example.test", "ghost@example.test"], make_msg())
    assert list(refused) == ["ghost@example.test"] and refused["ghost@example.test"][0] == 550
    assert server.count("alice@example.test") == 1
    with server.smtp() as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("sender@client.example.test", ["ghost@example.test"], make_msg())


def test_smtputf8_and_8bitmime(server):
    body = "Grüße aus 東京\r\n".encode("utf-8")
    msg = make_msg(body=body)
    with server.raw() as c:
        ehlo = c.greet()
        assert any(line.upper() == "SMTPUTF8" for line in ehlo.lines[1:])
        r = send_raw_message(c, "jörg@client.example.test", ["alice@example.test"], msg,
                             mail_params="BODY=8BITMIME SMTPUTF8")
        assert r.code == 250, r
    stored = server.messages("alice@example.test")[0]
    headers = split_prefix(stored, msg)
    assert header_values(headers, "return-path") == ["<jörg@client.example.test>"]
    assert body in stored


def test_mail_persists_across_restart(server):
    m1 = make_msg(subject="before restart")
    deliver(server, ["alice@example.test"], m1)
    server.restart()
    m2 = make_msg(subject="after restart")
    deliver(server, ["alice@example.test"], m2)
    stored = server.messages("alice@example.test")
    assert len(stored) == 2
    split_prefix(stored[0], m1)
    split_prefix(stored[1], m2)


def test_log_has_queue_line_but_no_body(server):
    secret = "bodysecret-%s" % uuid.uuid4().hex
    deliver(server, ["alice@example.test"], make_msg(body=secret.encode() + b"\r\n"))
    log = server.log()
    assert secret not in log
    assert re.search(r"from=<sender@client\.example\.test>", log), log[-2000:]


def test_store_failure_gives_451(server):
    """When the store cannot write (here: the account's msg/ directory replaced by a file),
    the client gets 451 4.3.0, nothing is visible, and the session and server go on."""
    import os
    import shutil
    msgdir = os.path.join(server.store.account_dir("alice@example.test"), "msg")
    if os.path.isdir(msgdir):
        shutil.rmtree(msgdir)
    with open(msgdir, "w") as f:
        f.write("not a directory")
    try:
        with server.raw() as c:
            c.greet()
            c.expect("MAIL FROM:<sender@client.example.test>", 250)
            c.expect("RCPT TO:<alice@example.test>", 250)
            c.expect("DATA", 354)
            c.send(make_msg(subject="store fails") + b".\r\n")
            r = c.reply()
            assert r.code == 451 and r.enhanced == "4.3.0", r
            ok = make_msg(subject="other account")
            assert send_raw_message(c, "sender@client.example.test", ["bob@example.test"],
                                    ok).code == 250
        assert server.count("alice@example.test") == 0
        split_prefix(server.messages("bob@example.test")[0], ok)
    finally:
        os.remove(msgdir)
        os.mkdir(msgdir)
    deliver(server, ["alice@example.test"], make_msg(subject="after repair"))
    assert server.count("alice@example.test") >= 1


def test_new_account_has_special_use_mailboxes(server):
    """An account made by `yubin user add` has INBOX and the RFC 6154 folders; delivery goes
    to INBOX only."""
    deliver(server, ["carol@example.test"], make_msg())
    names = set(server.store.mailboxes("carol@example.test"))
    assert {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} <= names, names
    for mb in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert server.count("carol@example.test", mb) == 0
    assert server.count("carol@example.test") == 1

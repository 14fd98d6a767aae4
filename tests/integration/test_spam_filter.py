"""The built-in spam filter (issue 9, docs/spam.md): GTUBE refused or junked, the header
checks in X-Spam-Score, mail from mynetworks not scored, training by IMAP moves and by the
$Junk/$NotJunk keywords (once per message, retrained when the verdict changes), and the
Bayesian classifier trained on 200 + 200 generated messages sorting held-out ones with at
least 95% accuracy and no ham in Junk."""
import imaplib
import os
import re
import socket
import sqlite3

import pytest

from conftest import PASSWORD, free_port
from helpers import wait_until
from spam_corpus import Corpus

USER = "alice@example.test"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SCORE_RE = re.compile(rb"^X-Spam-Score: (-?[0-9.]+) \(([^)]*)\)", re.M)


def spam_server(yubin_factory, **config):
    cfg = {"imap_listen": "127.0.0.1:%d" % free_port()}
    cfg.update(config)
    srv = yubin_factory(config=cfg)
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def imap_login(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
    c.login(USER, PASSWORD)
    return c


def totals(srv, account=USER):
    """(nspam, nham) trained in the account's token store, (0, 0) when it has none."""
    path = os.path.join(srv.data_dir, "mail", account, "spam.db")
    if not os.path.exists(path):
        return (0, 0)
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return tuple(db.execute("SELECT nspam, nham FROM totals").fetchone())
    except sqlite3.OperationalError:
        return (0, 0)  # being created
    finally:
        db.close()


def send_all(srv, msgs, rcpt=USER):
    s = srv.smtp()
    try:
        for m in msgs:
            s.sendmail("sender@client.example.test", [rcpt], m)
    finally:
        s.quit()


def score_of(stored):
    m = SCORE_RE.search(stored)
    assert m, "no X-Spam-Score in %r" % stored[:400]
    return float(m.group(1)), m.group(2).decode()


def test_gtube_refused(yubin_factory):
    srv = spam_server(yubin_factory)
    s = srv.smtp()
    with pytest.raises(Exception) as e:
        s.sendmail("x@client.example.test", [USER],
                   b"Subject: t\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                   b"Message-ID: <g@x>\r\n\r\n" + GTUBE + b"\r\n")
    s.close()
    assert "550" in str(e.value) and "5.7.1" in str(e.value), e.value
    assert srv.count(USER) == 0 and srv.count(USER, "Junk") == 0


def test_gtube_junked_and_headers(yubin_factory):
    srv = spam_server(yubin_factory, spam_reject_threshold="0")
    # a forged X-Spam: No is removed; GTUBE goes to Junk with our fields
    send_all(srv, [b"X-Spam: No\r\nSubject: t\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
                   b"Message-ID: <g@x>\r\n\r\n" + GTUBE + b"\r\n"])
    assert srv.count(USER) == 0
    [junk] = srv.messages(USER, "Junk")
    assert b"\r\nX-Spam: Yes\r\n" in junk and b"X-Spam: No" not in junk
    score, rules = score_of(junk)
    assert score >= 1000 and "GTUBE=1000.0" in rules
    # the header checks: under the threshold, INBOX, scored, no X-Spam: Yes
    send_all(srv, [b"From: Ann <ann@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"])
    [inbox] = srv.messages(USER)
    assert b"X-Spam: Yes" not in inbox
    assert score_of(inbox) == (2.0, "NO_DATE=1.0 NO_MESSAGE_ID=1.0")
    # no Date, no Message-ID, a display name naming another domain, a Received: without
    # a date: 6.5, Junk
    send_all(srv, [b"From: \"service@paypal.com\" <x@evil.example>\r\n"
                   b"Received: from a by b\r\nSubject: hi\r\n\r\nhello\r\n"])
    assert srv.count(USER) == 1
    junk = srv.messages(USER, "Junk")[1]
    assert b"\r\nX-Spam: Yes\r\n" in junk
    assert score_of(junk) == (6.5, "NO_DATE=1.0 NO_MESSAGE_ID=1.0 FROM_NAME_SPOOF=2.5 "
                                   "RECEIVED_FORGED=2.0")


def test_trusted_not_scored(yubin_factory):
    srv = spam_server(yubin_factory, mynetworks="127.0.0.0/8")
    send_all(srv, [b"Subject: t\r\n\r\n" + GTUBE + b"\r\n"])
    [inbox] = srv.messages(USER)
    assert b"X-Spam" not in inbox


def test_keywords_train_once(yubin_factory):
    srv = spam_server(yubin_factory)
    corpus = Corpus(7)
    send_all(srv, [corpus.spam(USER)])
    c = imap_login(srv)
    try:
        c.select("INBOX")
        assert c.store("1", "+FLAGS", "($Junk)")[0] == "OK"
        assert wait_until(lambda: totals(srv) == (1, 0)), totals(srv)
        # again, and with another flag: no double training
        assert c.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"
        assert c.store("1", "-FLAGS", "($Junk)")[0] == "OK"
        assert c.store("1", "+FLAGS", "($Junk)")[0] == "OK"
        # $NotJunk retrains: untrain spam, train ham
        assert c.store("1", "-FLAGS", "($Junk)")[0] == "OK"
        assert c.store("1", "+FLAGS", "($NotJunk)")[0] == "OK"
        assert wait_until(lambda: totals(srv) == (0, 1)), totals(srv)
    finally:
        c.logout()


def test_bayes_trained_by_moves(yubin_factory):
    srv = spam_server(yubin_factory)
    corpus = Corpus(20261203)
    send_all(srv, [corpus.spam(USER) for _ in range(200)])
    send_all(srv, [corpus.ham(USER) for _ in range(200)])
    # untrained: all in the INBOX
    assert srv.count(USER) == 400
    c = imap_login(srv)
    try:
        c.select("INBOX")
        # spam: INBOX -> Junk trains spam
        assert c.uid("MOVE", "1:200", "Junk")[0] == "OK"
        # ham: into Junk (spam), then out to the INBOX: retrained as ham
        assert c.uid("MOVE", "201:400", "Junk")[0] == "OK"
        c.select("Junk")
        assert c.uid("MOVE", "201:400", "INBOX")[0] == "OK"
        # out of Junk into Trash trains nothing
        assert c.uid("COPY", "1", "Trash")[0] == "OK"
    finally:
        c.logout()
    assert wait_until(lambda: totals(srv) == (200, 200), timeout=60), totals(srv)
    junk0, inbox0 = srv.count(USER, "Junk"), srv.count(USER)
    send_all(srv, [corpus.spam(USER) for _ in range(100)])
    spam_caught = srv.count(USER, "Junk") - junk0
    junk1 = srv.count(USER, "Junk")
    send_all(srv, [corpus.ham(USER) for _ in range(100)])
    ham_junked = srv.count(USER, "Junk") - junk1
    accuracy = (spam_caught + (100 - ham_junked)) / 200.0
    assert ham_junked == 0, "ham sorted to Junk: %d" % ham_junked
    assert accuracy >= 0.95, "accuracy %.3f (spam caught %d/100)" % (accuracy, spam_caught)
    # every held-out ham scored under spam_threshold, with the Bayes rule
    new_ham = srv.messages(USER)[inbox0 + (100 - spam_caught):]
    assert len(new_ham) == 100
    for m in new_ham:
        score, rules = score_of(m)
        assert score < 5.0 and "BAYES=" in rules, (score, rules)


def test_training_keeps_order(yubin_factory):
    """$Junk then at once $NotJunk on each message, pipelined: the trainings of one message
    run in the order of the commands (one trainer thread), so every message ends as ham."""
    srv = spam_server(yubin_factory)
    corpus = Corpus(11)
    n = 60
    send_all(srv, [corpus.spam(USER) for _ in range(n)])
    sock = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=30)
    try:
        cmds = [b"l LOGIN %s %s" % (USER.encode(), PASSWORD.encode()), b"s SELECT INBOX"]
        for uid in range(1, n + 1):
            cmds.append(b"j%d UID STORE %d +FLAGS.SILENT ($Junk)" % (uid, uid))
            cmds.append(b"h%d UID STORE %d FLAGS.SILENT ($NotJunk)" % (uid, uid))
        cmds.append(b"z LOGOUT")
        sock.sendall(b"".join(c + b"\r\n" for c in cmds))
        got = b""
        while b"\r\nz OK" not in got:
            data = sock.recv(65536)
            assert data, got[-500:]
            got += data
        assert got.count(b" OK ") >= len(cmds), got[-500:]
    finally:
        sock.close()
    assert wait_until(lambda: totals(srv) == (0, n), timeout=30), totals(srv)


def imap_login_as(srv, user):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
    c.login(user, PASSWORD)
    return c


def test_store_cache_keeps_accounts_apart(yubin_factory):
    """spam_store_cache = 1: every classification for the other account closes the open
    store and opens its own. Alice and Bob trained the same words the opposite way; mail to
    them in turn must each be judged by its own recipient's store."""
    bob = "bob@example.test"
    srv = spam_server(yubin_factory, spam_store_cache="1")
    corpus = Corpus(77)
    for user in (USER, bob):
        send_all(srv, [corpus.spam(user) for _ in range(40)], rcpt=user)
        send_all(srv, [corpus.ham(user) for _ in range(40)], rcpt=user)
        c = imap_login_as(srv, user)
        try:
            c.select("INBOX")
            # Alice calls the spam corpus spam, Bob calls it ham (and the ham corpus spam)
            spam, ham = ("1:40", "41:80") if user == USER else ("41:80", "1:40")
            assert c.uid("STORE", ham, "+FLAGS.SILENT", "($NotJunk)")[0] == "OK"
            assert c.uid("MOVE", spam, "Junk")[0] == "OK"
        finally:
            c.logout()
    assert wait_until(lambda: totals(srv) == (40, 40) and totals(srv, bob) == (40, 40),
                      timeout=60), (totals(srv), totals(srv, bob))
    # the spam corpus to each in turn, one transaction each: Alice's go to her Junk,
    # Bob's stay in his INBOX
    s = srv.smtp()
    try:
        for _ in range(6):
            s.sendmail("sender@client.example.test", [USER], corpus.spam(USER))
            s.sendmail("sender@client.example.test", [bob], corpus.spam(bob))
    finally:
        s.quit()
    # (40 + 40 trained: the Bayes rule is sure enough to decide most alone)
    a_junk, b_junk = srv.count(USER, "Junk") - 40, srv.count(bob, "Junk") - 40
    assert a_junk >= 3 and b_junk == 0, (a_junk, b_junk)
    alice_new = srv.messages(USER, "Junk")[40:] + srv.messages(USER)[40:]
    assert len(alice_new) == 6
    for m in alice_new:
        score, rules = score_of(m)
        assert re.search(r"BAYES=[0-9]", rules) and not rules.startswith("BAYES=0"), rules
    for m in srv.messages(bob)[-6:]:
        score, rules = score_of(m)
        assert "BAYES=-" in rules, (score, rules)

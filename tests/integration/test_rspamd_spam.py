"""spam_filter = rspamd (issue 9, docs/spam.md "rspamd instead"): rspamd's milter verdict
sorts the mail instead of the built-in filter (GTUBE refused, a normal message in the INBOX
with rspamd's headers, "add header" and "rewrite subject" to Junk, no built-in score), and
rspamd_controller learns from IMAP Junk moves and the $Junk/$NotJunk keywords. A real
rspamd, offline, no Redis: a rule of the test's own (rspamd.local.lua) forces the actions
for a marker in the Subject, and its Bayes classifier keeps its statistics in SQLite (the
rspamd 3.4 "sqlite3" backend), so that /stat and the controller's log show what it learned."""
import imaplib
import json
import os
import shutil
import smtplib
import socket
import tempfile
import time
import urllib.request

import pytest

from conftest import PASSWORD, free_port
from filterd import Rspamd, have
from helpers import wait_until

pytestmark = pytest.mark.skipif(not have("rspamd"), reason="rspamd not installed")

USER = "alice@example.test"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# a Subject with JUNK-MARKER scores 20 ("add header" from 6); REWRITE-MARKER forces
# "rewrite subject"
LUA = r'''
rspamd_config.YUBIN_TEST_JUNK = {
  callback = function(task)
    local s = task:get_header('Subject') or ''
    return s:find('JUNK-MARKER', 1, true) ~= nil
  end,
  score = 20.0, description = 'yubin test: add header',
}
rspamd_config.YUBIN_TEST_REWRITE = {
  callback = function(task)
    local s = task:get_header('Subject') or ''
    if s:find('REWRITE-MARKER', 1, true) then
      task:set_pre_result('rewrite subject', 'yubin test')
      return true
    end
    return false
  end,
  score = 0.0, description = 'yubin test: rewrite subject',
}
'''
# no greylist action (its module needs Redis: a 4..6 score would be a tempfail)
ACTIONS = "reject = 150; add_header = 6; greylist = null; rewrite_subject = null;\n"


def bayes_conf(path):
    return ('backend = "sqlite3";\nservers = null;\nmin_learns = 1;\n'
            'statfile { symbol = "BAYES_HAM"; path = "%s/bayes.ham.sqlite"; spam = false; }\n'
            'statfile { symbol = "BAYES_SPAM"; path = "%s/bayes.spam.sqlite"; spam = true; }\n'
            % (path, path))


@pytest.fixture(scope="module")
def rspamd():
    r = Rspamd(lua=LUA, local_d={"actions.conf": ACTIONS})
    yield r
    r.stop()


def msg(subject, mid, body=None, extra=b""):
    # enough distinct words for rspamd's Bayes to learn from (it skips short messages)
    body = body or b" ".join(b"meeting%d agenda%d notes" % (i, i * 7) for i in range(40))
    return (b"From: Sam <s@client.example.test>\r\nTo: alice@example.test\r\nSubject: "
            + subject + b"\r\nDate: Thu, 03 Dec 2026 03:00:00 +0000\r\n"
            b"Message-ID: <" + mid + b"@client.example.test>\r\n" + extra + b"\r\n"
            + body + b"\r\n")


def head(stored):
    return stored.split(b"\r\n\r\n")[0]


def server_for(yubin_factory, rspamd, **config):
    cfg = {"spam_filter": "rspamd",
           "smtpd_milters": "inet:127.0.0.1:%d" % rspamd.port,
           "imap_listen": "127.0.0.1:%d" % free_port()}
    cfg.update(config)
    srv = yubin_factory(config=cfg)
    srv.imap_port = int(cfg["imap_listen"].rsplit(":", 1)[1])
    return srv


def send(srv, *msgs):
    with srv.smtp() as s:
        for m in msgs:
            s.sendmail("s@client.example.test", [USER], m)


def test_rspamd_verdict_counts(yubin_factory, rspamd):
    # spam_threshold = 1: the built-in filter would junk a message without a Date (NO_DATE)
    srv = server_for(yubin_factory, rspamd, spam_threshold="1")
    with srv.smtp() as s:
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("s@client.example.test", [USER], msg(b"gtube", b"g1", GTUBE))
    # rspamd's own code and text (as Postfix passes them on)
    assert (e.value.smtp_code, e.value.smtp_error) == (554, b"5.7.1 Gtube pattern")
    assert srv.count(USER) == 0 and srv.count(USER, "Junk") == 0
    send(srv,
         msg(b"hello", b"n1"),
         msg(b"cheap JUNK-MARKER", b"j1"),
         msg(b"REWRITE-MARKER offer", b"r1"),
         # a sender's own X-Spam: Yes is no verdict
         msg(b"forged flag", b"f1", extra=b"X-Spam: Yes\r\n"),
         # no Date: the built-in filter (spam_threshold = 1) would junk it; it is not asked
         msg(b"no date", b"d1").replace(b"Date: Thu, 03 Dec 2026 03:00:00 +0000\r\n", b""))
    inbox = {m.split(b"Message-ID: <")[1].split(b"@")[0]: head(m) for m in srv.messages(USER)}
    junk = {m.split(b"Message-ID: <")[1].split(b"@")[0]: head(m)
            for m in srv.messages(USER, "Junk")}
    assert sorted(inbox) == [b"d1", b"f1", b"n1"], (sorted(inbox), srv.log_tail())
    assert sorted(junk) == [b"j1", b"r1"], sorted(junk)
    # rspamd's headers kept, the built-in filter's absent
    for h in list(inbox.values()) + list(junk.values()):
        assert b"\r\nX-Spamd-Result: default: " in h, h
        assert b"X-Spam-Score:" not in h, h
    assert b"\r\nX-Rspamd-Action: no action" in inbox[b"n1"], inbox[b"n1"]
    assert b"X-Spam: Yes" not in inbox[b"f1"], inbox[b"f1"]
    assert b"\r\nX-Spam: Yes" in junk[b"j1"], junk[b"j1"]
    assert b"\r\nX-Rspamd-Action: add header" in junk[b"j1"], junk[b"j1"]
    assert b"\r\nSubject: *** SPAM *** REWRITE-MARKER offer" in junk[b"r1"], junk[b"r1"]
    log = srv.log()
    assert "rspamd verdict: add header: to Junk" in log
    assert "rspamd verdict: rewrite subject: to Junk" in log
    assert "spam score" not in log


def stat(rspamd):
    with urllib.request.urlopen("http://127.0.0.1:%d/stat" % rspamd.controller_port,
                                timeout=10) as r:
        return json.loads(r.read())


def learned(rspamd, cls, mid):
    return ("learned message as %s: %s@client.example.test" % (cls, mid)) in rspamd.log()


def warm_up(rspamd, run, cls):
    body = b"Subject: warm up\r\n\r\n" + b" ".join(b"warm%s%s%d" % (cls.encode(), run.encode(), i)
                                                    for i in range(40)) + b"\r\n"
    req = urllib.request.Request("http://127.0.0.1:%d/learn%s" % (rspamd.controller_port, cls),
                                 data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status == 200
    except OSError:  # urllib.error.HTTPError included
        time.sleep(0.2)
        return False


def learning_rspamd(statdir, run):
    """rspamd with its Bayes statistics in SQLite under statdir, ready to learn. Its workers
    create the SQLite files concurrently at their first start, and a worker that loses that
    race keeps a statfile it cannot use (a learn request gets 404 "cannot find statfile
    backend" or 500 "database is locked"; yubin logs it and does not retry): one learn of
    each class of our own must succeed, else rspamd starts again over the files that now
    exist."""
    for attempt in range(3):
        r = Rspamd(lua=LUA, local_d={"actions.conf": ACTIONS,
                                     "classifier-bayes.conf": bayes_conf(statdir)})
        if all(wait_until(lambda: warm_up(r, "%s%d" % (run, attempt), cls), 10)
               for cls in ("spam", "ham")):
            return r
        r.stop()
    raise AssertionError("rspamd's SQLite statistics never became usable")


def wait_learned(srv, rspamd, cls, mid):
    if not wait_until(lambda: learned(rspamd, cls, mid), 30):
        print(srv.log())  # pytest shows it with the failure
        print(rspamd.log())
        raise AssertionError("rspamd did not learn %s as %s" % (mid, cls))


def test_rspamd_controller_learns(yubin_factory):
    # a directory rspamd (which may run as _rspamd) can write in
    statdir = tempfile.mkdtemp(prefix="yubin-rspamd-stat-")
    os.chmod(statdir, 0o777)
    # rspamd remembers what it learned (its learn cache is in the shared DBDIR): words of
    # this run's own
    run = os.urandom(6).hex()
    r = None
    try:
        r = learning_rspamd(statdir, run)
        # no milter here: rspamd's scanners would read its SQLite statistics while the
        # controller commits a learn, and its SQLite backend then answers "database is
        # locked"
        srv = server_for(yubin_factory, r, smtpd_milters="",
                         rspamd_controller="127.0.0.1:%d" % r.controller_port)
        m1, m2 = "m1-" + run, "m2-" + run
        send(srv, *[msg(b"one", m.encode(), b" ".join(b"%s%d agenda%d" % (run.encode(), i, i)
                                                   for i in range(40)) + m.encode())
                    for m in (m1, m2)])
        assert srv.count(USER) == 2
        before = stat(r)["learned"]  # rspamd keeps this count in its (shared) DBDIR
        c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
        c.login(USER, PASSWORD)
        try:
            c.select("INBOX")
            assert c.uid("MOVE", "1", "Junk")[0] == "OK"
            wait_learned(srv, r, "spam", m1)
            c.select("Junk")
            assert c.uid("MOVE", "1", "INBOX")[0] == "OK"
            wait_learned(srv, r, "ham", m1)
            c.select("INBOX")
            assert c.uid("STORE", "2", "+FLAGS", "($Junk)")[0] == "OK"
            wait_learned(srv, r, "spam", m2)
        finally:
            c.logout()
        assert stat(r)["learned"] - before == 3
        assert wait_until(lambda: srv.log().count("learnspam: HTTP 200") == 2), srv.log_tail()
        assert "learnham: HTTP 200" in srv.log()
        # spam_filter = rspamd: the built-in token store learned nothing
        assert not os.path.exists(os.path.join(srv.data_dir, "mail", USER, "spam.db"))
    finally:
        if r is not None:
            r.stop()
        shutil.rmtree(statdir, ignore_errors=True)


def test_rspamd_controller_down(yubin_factory, rspamd):
    # nothing listens there: the move succeeds, the failure is logged
    srv = server_for(yubin_factory, rspamd, rspamd_controller="127.0.0.1:%d" % free_port(),
                     rspamd_learn_timeout="5s")
    send(srv, msg(b"one", b"x1"))
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
    c.login(USER, PASSWORD)
    try:
        c.select("INBOX")
        assert c.uid("MOVE", "1", "Junk")[0] == "OK"
    finally:
        c.logout()
    assert wait_until(lambda: "learnspam: 127.0.0.1:" in srv.log(), 20), srv.log_tail()
    assert "connect: Connection refused" in srv.log()
    assert srv.count(USER, "Junk") == 1


def test_rspamd_learn_queue_bounded(yubin_factory, rspamd):
    # a controller that accepts and never answers: the first post waits for its timeout
    # (6 s), the queue (rspamd_learn_queue = 1) holds no more, the IMAP command does not wait
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        srv = server_for(yubin_factory, rspamd,
                         rspamd_controller="127.0.0.1:%d" % silent.getsockname()[1],
                         rspamd_learn_queue="1", rspamd_learn_timeout="6s")
        send(srv, msg(b"one", b"q1"), msg(b"two", b"q2"), msg(b"three", b"q3"))
        c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
        c.login(USER, PASSWORD)
        try:
            c.select("INBOX")
            t0 = time.monotonic()
            assert c.uid("MOVE", "1:3", "Junk")[0] == "OK"
            assert c.noop()[0] == "OK"
            assert time.monotonic() - t0 < 5  # under the 6 s the post hangs
        finally:
            c.logout()
        assert wait_until(lambda: "learnspam not posted: 1 messages already waiting"
                          in srv.log(), 10), srv.log_tail()
        assert srv.log().count("not posted") == 2
        assert wait_until(lambda: "no reply within 6 s" in srv.log(), 30), srv.log_tail()
    finally:
        silent.close()


def test_spam_filter_none(yubin_factory):
    # no sorting at all: GTUBE, which the built-in filter refuses, is delivered unscored
    srv = yubin_factory(config={"spam_filter": "none"})
    send(srv, msg(b"gtube", b"none1", GTUBE))
    [stored] = srv.messages(USER)
    assert b"X-Spam" not in head(stored), head(stored)
    assert "spam score" not in srv.log()

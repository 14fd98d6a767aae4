"""Storage quotas (RFC 9208): the usage the store counts, the limit (mailbox_quota or the
account's own, `yubin user quota`), IMAP GETQUOTAROOT / GETQUOTA / SETQUOTA, APPEND and COPY
refused with NO [OVERQUOTA] (nothing stored), MOVE and EXPUNGE, STATUS SIZE; SMTP 452 4.2.2
at RCPT for an account already over (other recipients unaffected) and 552 5.2.2 at end of
data for a message that would pass it; an account from before the quota gets its usage."""
import imaplib
import re
import smtplib
import sqlite3
import subprocess

import pytest

from conftest import PASSWORD, YUBIN_BIN, free_port
from helpers import wait_until
from test_imap_protocol import Raw

USER = "alice@example.test"


@pytest.fixture
def srv(yubin_factory):
    s = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                              "mailbox_quota": "100k"})
    s.imap_port = int(s.settings["imap_listen"].rsplit(":", 1)[1])
    return s


def imap(srv, user=USER):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
    c.login(user, PASSWORD)
    return c


def message(size, subject="quota"):
    head = ("From: a@example.test\r\nTo: %s\r\nSubject: %s\r\n\r\n" % (USER, subject)).encode()
    line = b"x" * 70 + b"\r\n"
    body = line * max(0, (size - len(head)) // len(line))
    return head + body


def storage(c, root=""):
    """(used, limit) in KiB from GETQUOTA root."""
    typ, data = c.getquota('""' if root == "" else root)
    assert typ == "OK", data
    m = re.search(rb"STORAGE (\d+) (\d+)", data[0])
    return int(m.group(1)), int(m.group(2))


def status_size(c, mailbox="INBOX"):
    typ, data = c.status(mailbox, "(SIZE MESSAGES)")
    assert typ == "OK", data
    return int(re.search(rb"SIZE (\d+)", data[0]).group(1))


def test_getquotaroot_and_status_size(srv):
    c = imap(srv)
    typ, caps = c.capability()
    assert b"QUOTA" in caps[0].split() and b"QUOTA=RES-STORAGE" in caps[0].split()
    assert c.append("INBOX", None, None, message(3000))[0] == "OK"
    assert c.append("Archive", None, None, message(5000))[0] == "OK"
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK", data
    assert data[0] == [b'INBOX ""'], data
    used = int(re.search(rb"STORAGE (\d+) 100", data[1][0]).group(1))
    total = status_size(c, "INBOX") + status_size(c, "Archive")
    assert used == (total + 1023) // 1024
    assert storage(c) == (used, 100)
    # limits are the administrator's
    typ, data = c.setquota('""', "(STORAGE 1000000)")
    assert typ == "NO" and b"NOPERM" in data[0], data
    typ, data = c.getquota("other")
    assert typ == "NO", data
    typ, data = c.getquotaroot("NoSuchBox")
    assert typ == "NO", data
    c.logout()


def test_unlimited_has_no_root(srv):
    srv.cli("user", "quota", USER, "none")
    c = imap(srv)
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK" and data[0] == [b"INBOX"], data
    assert c.getquota('""')[0] == "NO"
    c.logout()


def test_append_over_quota(srv):
    srv.cli("user", "quota", USER, "20k")
    c = imap(srv)
    assert c.append("INBOX", None, None, message(15000))[0] == "OK"
    c.select("INBOX")
    typ, data = c.append("INBOX", None, None, message(8000))
    assert typ == "NO" and b"[OVERQUOTA]" in data[0], data
    # MULTIAPPEND: all or nothing
    r = Raw(srv.imap_port)
    r.login()
    m1, m2 = message(1000), message(7000)
    _, tagged = r.cmd(b"APPEND INBOX {%d+}\r\n%s {%d+}\r\n%s" % (len(m1), m1, len(m2), m2))
    assert b"NO [OVERQUOTA]" in tagged, tagged
    r.close()
    assert status_size(c) < 16000
    typ, data = c.search(None, "ALL")
    assert data[0].split() == [b"1"]
    # EXPUNGE frees
    c.store("1", "+FLAGS", "\\Deleted")
    # what an EXPUNGE would free (RFC 9208 STATUS DELETED-STORAGE, KiB)
    typ, data = c.status("INBOX", "(DELETED-STORAGE)")
    assert typ == "OK" and int(re.search(rb"DELETED-STORAGE (\d+)", data[0]).group(1)) == \
        storage(c)[0], data
    c.expunge()
    assert storage(c)[0] == 0
    assert c.append("INBOX", None, None, message(8000))[0] == "OK"
    c.logout()


def test_copy_over_quota_move_allowed(srv):
    srv.cli("user", "quota", USER, "20k")
    c = imap(srv)
    assert c.append("INBOX", None, None, message(12000))[0] == "OK"
    c.select("INBOX")
    used = storage(c)[0]
    typ, data = c.copy("1", "Archive")
    assert typ == "NO" and b"[OVERQUOTA]" in data[0], data
    assert status_size(c, "Archive") == 0 and storage(c)[0] == used
    # MOVE takes nothing more
    typ, data = c._simple_command("MOVE", "1", "Archive")
    assert typ == "OK", data
    assert status_size(c, "Archive") > 11000 and storage(c)[0] == used
    c.logout()


def test_user_quota_cli(srv):
    out = srv.cli("user", "list").stdout.decode()
    assert re.search(r"^alice@example\.test  quota 102400 \(default\)  used 0 in 0 messages$",
                     out, re.M), out
    srv.cli("user", "quota", USER, "1m")
    out = srv.cli("user", "list").stdout.decode()
    assert re.search(r"^alice@example\.test  quota 1048576  used", out, re.M), out
    srv.cli("user", "quota", USER, "none")
    assert re.search(r"^alice@example\.test  quota none  used",
                     srv.cli("user", "list").stdout.decode(), re.M)
    srv.cli("user", "quota", USER, "default")
    assert "quota 102400 (default)" in srv.cli("user", "list").stdout.decode()
    p = srv.cli("user", "quota", "nobody@example.test", "1m", check=False)
    assert p.returncode != 0
    p = srv.cli("user", "quota", USER, "lots", check=False)
    assert p.returncode != 0


def test_migrated_account(srv):
    """An index.db from before the quota (schema 3) gets its usage computed when opened."""
    c = imap(srv)
    assert c.append("INBOX", None, None, message(30000))[0] == "OK"
    c.logout()
    srv.stop()
    db = sqlite3.connect("%s/mail/%s/index.db" % (srv.data_dir, USER))
    db.executescript("DROP TRIGGER quota_insert; DROP TRIGGER quota_delete;"
                     " DROP TRIGGER quota_resize; DELETE FROM meta WHERE key LIKE 'quota_%';"
                     " ALTER TABLE msgdata DROP COLUMN header;"
                     " PRAGMA user_version = 3;")
    db.close()
    srv.start()
    c = imap(srv)
    assert storage(c)[0] == (status_size(c) + 1023) // 1024 > 25
    c.logout()


# -- SMTP -----------------------------------------------------------------------------------

def mail(size, to="alice@example.test", subject="quota"):
    head = ("From: sender@remote.test\r\nTo: %s\r\nSubject: %s\r\n\r\n" % (to, subject)).encode()
    return head + (b"y" * 70 + b"\r\n") * max(0, (size - len(head)) // 72)


def test_smtp_rcpt_452_others_accepted(srv):
    with srv.smtp() as s:
        s.sendmail("sender@remote.test", [USER], mail(8000))
    assert srv.count(USER) == 1
    # the limit goes below what alice holds: she is over quota
    srv.cli("user", "quota", USER, "5k")
    with srv.smtp() as s:
        assert s.mail("sender@remote.test")[0] == 250
        code, text = s.rcpt(USER)
        assert (code, text[:5]) == (452, b"4.2.2"), (code, text)
        assert s.rcpt("bob@example.test")[0] == 250
        code, _ = s.data(mail(1000, to="bob@example.test"))
        assert code == 250
    assert srv.count(USER) == 1 and srv.count("bob@example.test") == 1
    # with room again (expunge, or a higher limit) she gets mail at once
    srv.cli("user", "quota", USER, "1m")
    with srv.smtp() as s:
        s.sendmail("sender@remote.test", [USER], mail(1000))
    assert srv.count(USER) == 2


def test_smtp_552_at_end_of_data(srv):
    srv.cli("user", "quota", USER, "10k")
    with srv.smtp() as s:
        assert s.mail("sender@remote.test")[0] == 250
        assert s.rcpt(USER)[0] == 250  # not over yet
        code, text = s.data(mail(20000))
        assert (code, text[:5]) == (552, b"5.2.2"), (code, text)
        # the session goes on; a message that fits is taken
        s.sendmail("sender@remote.test", [USER], mail(3000))
    assert srv.count(USER) == 1


def test_smtp_several_recipients_bounce_the_over_one(srv):
    """With several recipients the one DATA reply cannot fail only one: the others get the
    message (250) and the sender a DSN for the over-quota one (as Postfix + an LMTP store)."""
    srv.cli("user", "quota", USER, "10k")
    sender = "carol@example.test"
    with srv.smtp() as s:
        assert s.mail(sender)[0] == 250
        assert s.rcpt(USER)[0] == 250
        assert s.rcpt("bob@example.test")[0] == 250
        code, text = s.data(mail(20000, subject="big one"))
        assert code == 250, text
    assert srv.count(USER) == 0
    assert srv.count("bob@example.test") == 1
    dsn = srv.messages(sender)
    assert len(dsn) == 1, dsn
    body = dsn[0]
    assert b"multipart/report" in body and b"5.2.2" in body, body[:2000]
    assert b"Final-Recipient: rfc822; alice@example.test" in body
    assert b"Subject: big one" in body


def test_queue_local_delivery_bounces_over_quota(srv):
    """Mail that reaches a local account through the queue (`yubin sendmail`) honours the
    quota too: bounced with 5.2.2 to the sender."""
    srv.cli("user", "quota", USER, "10k")
    p = subprocess.run([YUBIN_BIN, "-c", srv.config_path, "sendmail", "-f", "bob@example.test",
                        USER], input=mail(20000, subject="via the queue"),
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([YUBIN_BIN, "-c", srv.config_path, "sendmail", "-f", "bob@example.test",
                        "carol@example.test"], input=mail(20000, to="carol@example.test"),
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    wait_until(lambda: srv.count("carol@example.test") == 1 and
               srv.count("bob@example.test") == 1, timeout=20)
    assert srv.count(USER) == 0
    body = srv.messages("bob@example.test")[0]
    assert b"5.2.2" in body and b"Subject: via the queue" in body, body[:2000]

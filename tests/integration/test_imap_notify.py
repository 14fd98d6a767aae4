"""NOTIFY (RFC 5465): with two sessions of one account, what one does reaches the other
as it happens, outside IDLE too: STATUS for new mail or expunges in another mailbox,
LIST for a created / renamed / deleted mailbox, LIST for a subscription, the selected
mailbox's EXISTS at once under SELECTED; NOTIFY NONE stops it; a client that does not read
gets NOTIFICATIONOVERFLOW after imap_notify_queue_max notifications."""
import re
import socket

import pytest

from conftest import free_port
from test_imap_protocol import Raw, caps_of, msg


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_notify_queue_max": "20"})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def lit(data):
    return b"{%d+}\r\n" % len(data) + data


def unsolicited(c, pattern, timeout=20):
    """Reads untagged responses (no command sent) until one matches pattern."""
    c.sock.settimeout(timeout)
    seen = []
    while True:
        r = c.response()
        seen.append(r)
        if re.search(pattern, r):
            return r, seen


def nothing_pending(c, wait=0.5):
    """No unsolicited output within wait seconds (then a NOOP resyncs the stream)."""
    c.sock.settimeout(wait)
    try:
        c.fill()
    except socket.timeout:
        return True
    finally:
        c.sock.settimeout(20)
    return False


def two(imap):
    a, b = Raw(imap.imap_port), Raw(imap.imap_port)
    a.login()
    b.login()
    return a, b


def test_capability_and_syntax(imap):
    a = Raw(imap.imap_port)
    a.login()
    untagged, _ = a.ok("CAPABILITY")
    assert b"NOTIFY" in caps_of(untagged[0])
    for bad in ("NOTIFY", "NOTIFY SET", "NOTIFY SET (personal)", "NOTIFY SET (bogus (MessageNew))",
                "NOTIFY SET (personal (NoSuchEvent))", "NOTIFY SET (mailboxes (MessageNew))",
                "NOTIFY SET (selected (MessageNew)) (selected-delayed (MessageNew))"):
        _, tagged = a.cmd(bad)
        assert tagged.split()[1] == b"BAD", (bad, tagged)
    # RFC 5465 3.1: a known event the server does not support is NO [BADEVENT]
    _, tagged = a.cmd("NOTIFY SET (personal (AnnotationChange))")
    assert b"NO [BADEVENT" in tagged, tagged
    a.ok("NOTIFY NONE")


def test_status_for_new_mail_elsewhere_outside_idle(imap):
    a, b = two(imap)
    a.ok("CREATE Work")
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge)) "
         "(personal (MessageNew MessageExpunge MailboxName))")
    b.ok(b"APPEND Work " + lit(msg("one")))
    # no command from a: the STATUS comes anyway (RFC 5465 3)
    r, _ = unsolicited(a, rb"^\* STATUS")
    assert re.match(rb'\* STATUS Work \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)', r), r
    # the selected mailbox under SELECTED: EXISTS at once
    b.ok(b"APPEND INBOX " + lit(msg("two")))
    r, _ = unsolicited(a, rb"EXISTS")
    assert r == b"* 1 EXISTS\r\n"
    # expunge in another mailbox
    b.ok("SELECT Work")
    b.ok("STORE 1 +FLAGS (\\Deleted)")
    b.ok("EXPUNGE")
    r, _ = unsolicited(a, rb"^\* STATUS")
    assert re.match(rb'\* STATUS Work \(MESSAGES 0\)', r), r


def test_selected_under_idle(imap):
    a, b = two(imap)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
         "(personal (MessageNew MessageExpunge))")
    a.send(b"t50 IDLE\r\n")
    assert a.line().startswith(b"+")
    b.ok(b"APPEND INBOX " + lit(msg("during idle")))
    r, _ = unsolicited(a, rb"EXISTS")
    assert r == b"* 1 EXISTS\r\n"
    b.ok(b"APPEND Drafts " + lit(msg("elsewhere")))
    r, _ = unsolicited(a, rb"^\* STATUS")
    assert r.startswith(b"* STATUS Drafts (MESSAGES 1 ")
    a.send(b"DONE\r\n")
    _, tagged = a.until_tagged(b"t50")
    assert tagged.split()[1] == b"OK"


def test_list_for_mailbox_names_and_subscriptions(imap):
    a, b = two(imap)
    a.ok("NOTIFY SET (personal (MailboxName SubscriptionChange))")
    b.ok("CREATE Projects")
    r, _ = unsolicited(a, rb"^\* LIST")
    assert r == b'* LIST () "/" Projects\r\n', r
    b.ok("RENAME Projects Archive2")
    r, _ = unsolicited(a, rb"^\* LIST")
    assert r == b'* LIST () "/" Archive2 ("OLDNAME" (Projects))\r\n', r
    b.ok("SUBSCRIBE Archive2")
    r, _ = unsolicited(a, rb"^\* LIST")
    assert r == b'* LIST (\\Subscribed) "/" Archive2\r\n', r
    b.ok("DELETE Archive2")
    r, _ = unsolicited(a, rb"^\* LIST")
    assert r == b'* LIST (\\NonExistent) "/" Archive2\r\n', r


def test_filters_and_initial_status(imap):
    a, b = two(imap)
    a.ok("CREATE Lists/one")
    a.ok("CREATE Other")
    a.ok(b"APPEND Lists/one " + lit(msg("x")))
    untagged, _ = a.ok("NOTIFY SET STATUS (subtree Lists (MessageNew MessageExpunge))")
    # the subtree: Lists (created as the parent) and Lists/one; not Other, not INBOX
    assert [re.sub(rb"UIDVALIDITY \d+", b"V", r) for r in untagged] == [
        b"* STATUS Lists (MESSAGES 0 UIDNEXT 1 V)\r\n",
        b"* STATUS Lists/one (MESSAGES 1 UIDNEXT 2 V)\r\n"], untagged
    b.ok(b"APPEND Other " + lit(msg("y")))   # not in the subtree
    assert nothing_pending(a)
    b.ok(b"APPEND Lists/one " + lit(msg("z")))
    r, _ = unsolicited(a, rb"^\* STATUS")
    assert r.startswith(b"* STATUS Lists/one (MESSAGES 2 ")
    a.ok("NOTIFY NONE")
    b.ok(b"APPEND Lists/one " + lit(msg("w")))
    assert nothing_pending(a)


def test_overflow_when_the_client_falls_behind(imap):
    a, b = two(imap)
    a.ok("NOTIFY SET (personal (MailboxName))")
    # a is in the middle of a command (APPEND waiting for its literal): notifications
    # queue up; past imap_notify_queue_max (20 here) they are dropped for the overflow
    body = msg("held")
    a.send(b"t99 APPEND INBOX {%d}\r\n" % len(body))
    assert a.line().startswith(b"+")
    for i in range(25):
        b.ok("CREATE box%d" % i)
    a.send(body + b"\r\n")
    untagged, tagged = a.until_tagged(b"t99")
    assert tagged.split()[1] == b"OK", tagged
    assert untagged[-1].startswith(b"* OK [NOTIFICATIONOVERFLOW]"), untagged
    assert len(untagged) == 1, untagged
    # and NOTIFY is off afterwards (RFC 5465 5.8)
    b.ok("CREATE after")
    assert nothing_pending(a)


def test_message_new_fetch_att(imap):
    """RFC 5465 5.1: MessageNew's fetch-att: the FETCH of each new message of the selected
    mailbox follows its EXISTS, outside IDLE and under it, without setting \\Seen."""
    a, b = two(imap)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (UID FLAGS BODY[HEADER.FIELDS (Subject)]) "
         "MessageExpunge))")
    b.ok(b"APPEND INBOX " + lit(msg("first new")))
    r, seen = unsolicited(a, rb"FETCH")
    assert seen[0] == b"* 1 EXISTS\r\n", seen
    assert re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Recent\) "
                    rb"BODY\[HEADER\.FIELDS \(Subject\)\] \{\d+\}\r\n"
                    rb"Subject: first new\r\n\r\n\)\r\n$", r), r
    # two at once (MULTIAPPEND): each FETCH after an EXISTS that counts its message (one
    # EXISTS for both, or one each: the session may see them apart)
    b.ok(b"APPEND INBOX " + lit(msg("second")) + b" " + lit(msg("third")))
    r, seen = unsolicited(a, rb"^\* 3 FETCH")
    exists = 0
    fetched = []
    for line in seen:
        m = re.match(rb"\* (\d+) (EXISTS|FETCH)", line)
        if m and m.group(2) == b"EXISTS":
            exists = int(m.group(1))
        elif m:
            assert int(m.group(1)) <= exists, seen
            fetched.append(int(m.group(1)))
    assert fetched == [2, 3], seen
    assert b"Subject: third" in r
    # under IDLE too
    a.send(b"t60 IDLE\r\n")
    assert a.line().startswith(b"+")
    b.ok(b"APPEND INBOX " + lit(msg("during idle")))
    r, seen = unsolicited(a, rb"FETCH")
    assert b"* 4 EXISTS\r\n" in seen and b"Subject: during idle" in r, seen
    a.send(b"DONE\r\n")
    _, tagged = a.until_tagged(b"t60")
    assert tagged.split()[1] == b"OK"
    # BODY[] in a fetch-att does not set \Seen: the message stays unseen
    untagged, _ = a.ok("FETCH 1:4 (FLAGS)")
    assert not any(b"\\Seen" in u for u in untagged), untagged
    # no fetch-att: EXISTS alone
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge))")
    b.ok(b"APPEND INBOX " + lit(msg("plain")))
    r, seen = unsolicited(a, rb"EXISTS")
    assert r == b"* 5 EXISTS\r\n"
    untagged, _ = a.ok("NOOP")
    assert not any(b"FETCH" in u for u in untagged), untagged


def test_message_new_fetch_att_syntax(imap):
    a = Raw(imap.imap_port)
    a.login()
    for bad in ("NOTIFY SET (selected (MessageNew (NOSUCHITEM)))",
                "NOTIFY SET (selected (MessageNew ()))",
                "NOTIFY SET (selected (MessageNew (UID) (FLAGS)))"):
        _, tagged = a.cmd(bad)
        assert tagged.split()[1] == b"BAD", (bad, tagged)
    a.ok("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[] BINARY.SIZE[1]) MessageExpunge))")
    # a MODSEQ item switches CONDSTORE on (RFC 7162 3.1), as FETCH MODSEQ does
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (UID MODSEQ)))")
    untagged, _ = a.ok("NOOP")
    b = Raw(imap.imap_port)
    b.login()
    b.ok(b"APPEND INBOX " + lit(msg("m")))
    r, _ = unsolicited(a, rb"FETCH")
    assert re.match(rb"\* \d+ FETCH \(UID \d+ MODSEQ \(\d+\)\)\r\n$", r), r
    b.close()
    # mailbox names keep their brackets beside a fetch-att's sections
    a.ok("NOTIFY SET (selected (MessageNew (BODY.PEEK[HEADER]<0.10>))) "
         "(mailboxes (a]b x[y] [z]) (MessageNew))")

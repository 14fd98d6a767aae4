"""IMAP keywords are announced before they are used (issue 11, fault 1): a session is told
a mailbox's keywords by "* FLAGS" and "* OK [PERMANENTFLAGS]" (RFC 3501 7.1, 7.2.6; RFC 9051
7.3.5), so no FETCH FLAGS may carry a keyword that was not in the last FLAGS it received.
Checked on every response of every session, in order, for keywords brought by STORE, APPEND,
COPY and MOVE, seen by the session that made the change and by the others (at their next
command and during IDLE), and for the odd but legal keyword NIL."""
import imaplib
import re

import pytest

from conftest import PASSWORD, free_port
from test_imap_protocol import USER, Raw, deliver, msg

FLAGS_RE = re.compile(rb"^\* FLAGS \(([^)]*)\)", re.I)
PERM_RE = re.compile(rb"^\* OK \[PERMANENTFLAGS \(([^)]*)\)\]", re.I)
FETCH_RE = re.compile(rb"^\* (\d+) FETCH \(.*?\bFLAGS \(([^)]*)\)", re.I)


def keywords(text):
    return {w.lower() for w in text.split() if not w.startswith(b"\\")}


class Announced:
    """What one session was told, fed every response line in order; problems collects
    each use of a keyword before its announcement."""

    def __init__(self):
        self.flags = set()
        self.permanent = set()
        self.problems = []
        self.used = set()

    def feed(self, line):
        m = FLAGS_RE.match(line)
        if m:
            self.flags = keywords(m.group(1))
            return
        m = PERM_RE.match(line)
        if m:
            self.permanent = keywords(m.group(1))
            return
        m = FETCH_RE.match(line)
        if m:
            for kw in keywords(m.group(2)):
                self.used.add(kw)
                if kw not in self.flags or kw not in self.permanent:
                    self.problems.append("%s used before FLAGS/PERMANENTFLAGS announced it: %r"
                                         % (kw.decode(), line))


class Client(imaplib.IMAP4):
    """imaplib, every response line also given to an Announced checker."""

    def __init__(self, port):
        self.seen = Announced()
        super().__init__("127.0.0.1", port, timeout=30)
        self.login(USER, PASSWORD)

    def _get_line(self):
        line = super()._get_line()
        self.seen.feed(line)
        return line


class RawChecked(Raw):
    """The raw client (for IDLE), every response checked the same way."""

    def __init__(self, port):
        self.seen = Announced()
        super().__init__(port)

    def response(self):
        r = super().response()
        self.seen.feed(r)
        return r


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def ok(typ_data):
    typ, data = typ_data
    assert typ == "OK", data
    return data


def check(*clients):
    for c in clients:
        assert not c.seen.problems, "\n".join(c.seen.problems)


def test_store_announces_new_keyword_to_every_session(imap):
    deliver(imap, subject="one")
    deliver(imap, subject="two")
    a, b = Client(imap.imap_port), Client(imap.imap_port)
    ok(b.enable("CONDSTORE"))
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    ok(a.store("1", "+FLAGS", "($hello)"))
    ok(a.store("2", "FLAGS", "(\\Seen $world $Hello)"))
    assert {b"$hello", b"$world"} <= a.seen.used
    # the other session learns at its next command
    ok(b.noop())
    ok(b.fetch("1:*", "(FLAGS)"))
    assert {b"$hello", b"$world"} <= b.seen.used
    check(a, b)
    # UID STORE, and .SILENT under CONDSTORE (which still sends the FETCH, RFC 7162 3.1.3)
    ok(a.uid("STORE", "1", "+FLAGS", "($third)"))
    ok(b.store("2", "+FLAGS.SILENT", "($fourth)"))
    ok(a.fetch("1:*", "(FLAGS)"))
    assert {b"$third", b"$fourth"} <= a.seen.used
    assert {b"$third", b"$fourth"} <= b.seen.used
    check(a, b)
    a.logout()
    b.logout()


def test_store_after_another_session_added_a_keyword(imap):
    """b's own STORE brings its view the keyword a added meanwhile: b must be told before
    its sync reports a's change."""
    deliver(imap, subject="one")
    deliver(imap, subject="two")
    a, b = Client(imap.imap_port), Client(imap.imap_port)
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    ok(a.store("1", "+FLAGS", "($fromA)"))
    ok(b.store("2", "+FLAGS", "(\\Seen)"))
    ok(b.fetch("1:*", "(FLAGS)"))
    assert b"$froma" in b.seen.used
    check(b, a)
    a.logout()
    b.logout()


def test_keyword_nil(imap):
    deliver(imap)
    a, b = Client(imap.imap_port), Client(imap.imap_port)
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    ok(a.store("1", "+FLAGS", "NIL"))
    ok(a.fetch("1", "(FLAGS)"))
    ok(b.noop())
    assert b"nil" in a.seen.used and b"nil" in b.seen.used
    check(a, b)
    a.logout()
    b.logout()


def test_append_copy_and_move_bring_new_keywords(imap):
    deliver(imap)
    a, b = Client(imap.imap_port), Client(imap.imap_port)
    ok(a.create("Src"))
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    # APPEND into the mailbox both have selected
    ok(a.append("INBOX", "($appended)", None, msg("appended")))
    ok(a.noop())
    ok(a.fetch("1:*", "(FLAGS)"))
    ok(b.noop())
    ok(b.fetch("1:*", "(FLAGS)"))
    assert b"$appended" in a.seen.used and b"$appended" in b.seen.used
    check(a, b)
    # COPY and MOVE from another mailbox bring keywords INBOX has not had
    ok(a.append("Src", "($copied)", None, msg("copied")))
    ok(a.append("Src", "($moved)", None, msg("moved")))
    ok(a.select("Src"))
    ok(a.copy("1", "INBOX"))
    ok(a._simple_command("MOVE", "2", "INBOX"))
    ok(b.noop())
    ok(b.fetch("1:*", "(FLAGS)"))
    assert {b"$copied", b"$moved"} <= b.seen.used
    check(a, b)
    a.logout()
    b.logout()


def idle_until(c, tag, pattern):
    """IDLE on c until a response matching pattern, then DONE."""
    c.send(tag + b" IDLE\r\n")
    assert c.response().startswith(b"+ ")
    yield
    c.sock.settimeout(10)
    while not re.match(pattern, c.response()):
        pass
    c.send(b"DONE\r\n")
    c.until_tagged(tag)


def test_idle_session_is_told_new_keywords_first(imap):
    deliver(imap)
    a, c = Client(imap.imap_port), Client(imap.imap_port)
    ok(c.create("Src"))
    ok(c.append("Src", "($copied)", None, msg("copied")))
    ok(c.select("Src"))
    ok(a.select("INBOX"))
    b = RawChecked(imap.imap_port)
    b.login()
    b.ok("SELECT INBOX")
    # an IDLE session's view sleeps (src/store hibernation) and wakes with the new list
    for tag, change, pattern in (
            (b"i1", lambda: ok(a.store("1", "+FLAGS", "($idle)")), rb"\* 1 FETCH"),
            (b"i2", lambda: ok(a.append("INBOX", "($appended)", None, msg("new"))),
             rb"\* 2 EXISTS"),
            (b"i3", lambda: ok(c.copy("1", "INBOX")), rb"\* 3 EXISTS")):
        steps = idle_until(b, tag, pattern)
        next(steps)
        change()
        next(steps, None)
        b.ok("FETCH 1:* (FLAGS)")
    assert {b"$idle", b"$appended", b"$copied"} <= b.seen.used
    check(b, a)
    a.logout()
    c.logout()
    b.close()

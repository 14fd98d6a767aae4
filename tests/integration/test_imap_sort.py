"""SORT, THREAD, ESORT and CONTEXT=SEARCH/SORT on a real server (RFC 5256, RFC 5957,
RFC 5267): imaplib's sort() and thread(), exact ESEARCH responses, live ADDTO/REMOVEFROM
as other sessions change the mailbox, and an index.db from before the sort keys were kept
(schema 1) that keeps working and gets its keys filled in."""
import imaplib
import re

import pytest

from conftest import PASSWORD, free_port
from test_imap_protocol import USER, Raw


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def client(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=30)
    c.login(USER, PASSWORD)
    return c


# (headers, internal date) in mailbox order
MESSAGES = [
    ("From: Zed <zed@a.test>\r\nTo: bob@b.test\r\nSubject: Re: Lunch\r\n"
     "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <2@t>\r\nIn-Reply-To: <1@t>\r\n",
     '"01-Jan-2024 12:00:00 +0000"'),
    ("From: =?utf-8?q?=C3=89ve?= <eve@a.test>\r\nTo: Al <al@b.test>\r\nSubject: lunch\r\n"
     "Date: Sun, 31 Dec 2023 09:00:00 -0500\r\nMessage-ID: <1@t>\r\n",
     '"01-Jan-2024 11:00:00 +0000"'),
    ("From: amy@a.test\r\nTo: Cy <cy@b.test>\r\nSubject: [list] Budget\r\n"
     "Message-ID: <3@t>\r\n",
     '"01-Jan-2024 13:00:00 +0000"'),
    ("From: Bo <bo@a.test>\r\nTo: dee@b.test\r\nSubject: Fwd: budget (fwd)\r\n"
     "Date: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <4@t>\r\nReferences: <3@t>\r\n",
     '"01-Jan-2024 10:00:00 +0000"'),
]


def fill(c, messages=MESSAGES, mailbox="INBOX"):
    for i, (hdr, date) in enumerate(messages):
        body = "x" * (10 * (len(messages) - i))
        typ, _ = c.append(mailbox, None, date, (hdr + "\r\n" + body + "\r\n")
                          .encode())
        assert typ == "OK"


def test_sort_keys_and_uid_sort(imap):
    c = client(imap)
    fill(c)
    c.select("INBOX")
    caps = c.capabilities
    for cap in ("SORT", "SORT=DISPLAY", "ESORT", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT",
                "CONTEXT=SEARCH", "CONTEXT=SORT"):
        assert cap in caps, cap

    def sort(crit, charset="UTF-8", *keys):
        typ, data = c.sort(crit, charset, *(keys or ("ALL",)))
        assert typ == "OK", data
        return data[0].decode().split()

    # sent date in UTC (2 is 14:00 UTC on Dec 31), no Date: -> INTERNALDATE (3)
    assert sort("(DATE)") == ["2", "1", "3", "4"]
    assert sort("(REVERSE DATE)") == ["4", "3", "1", "2"]
    assert sort("(ARRIVAL)") == ["4", "2", "1", "3"]
    typ, fetched = c.fetch("1:4", "(RFC822.SIZE)")
    sizes = [int(re.search(rb"RFC822.SIZE (\d+)", f).group(1)) for f in fetched]
    assert sort("(SIZE)") == [str(i + 1) for i in sorted(range(4), key=lambda i: sizes[i])]
    # base subjects: BUDGET BUDGET LUNCH LUNCH, ties by sequence number
    assert sort("(SUBJECT)") == ["3", "4", "1", "2"]
    assert sort("(SUBJECT REVERSE ARRIVAL)") == ["3", "4", "1", "2"]
    assert sort("(SUBJECT ARRIVAL)") == ["4", "3", "2", "1"]
    assert sort("(FROM)") == ["3", "4", "2", "1"]
    assert sort("(TO)") == ["2", "1", "3", "4"]
    # RFC 5957: display names (decoded), else the address
    assert sort("(DISPLAYFROM)") == ["3", "4", "1", "2"]  # AMY@A.TEST BO ZED ÉVE
    assert sort("(DISPLAYTO)") == ["2", "1", "3", "4"]   # AL BOB@B.TEST CY DEE@B.TEST
    assert sort("(REVERSE DISPLAYTO)") == ["4", "3", "1", "2"]
    # with search keys, and the US-ASCII charset
    assert sort("(DATE)", "US-ASCII", "SUBJECT", "budget") == ["3", "4"]
    typ, data = c.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
    uids = data[0].decode().split()
    typ, fetched = c.fetch("1:4", "(UID)")
    by_seq = {int(re.search(rb"^(\d+)", f).group(1)): re.search(rb"UID (\d+)", f).group(1)
              .decode() for f in fetched}
    assert uids == [by_seq[3], by_seq[1], by_seq[2], by_seq[4]]
    # errors: BAD criteria, NO [BADCHARSET]
    for bad in ("(BOGUS) UTF-8 ALL", "() UTF-8 ALL", "(REVERSE) UTF-8 ALL", "(DATE)",
                "(DATE) UTF-8", "DATE UTF-8 ALL"):
        with pytest.raises(imaplib.IMAP4.error):
            c._simple_command("SORT", *bad.split(" "))
    typ, data = c._simple_command("SORT", "(DATE)", "KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[-1]
    c.logout()


def test_thread_both_algorithms(imap):
    c = client(imap)
    fill(c)
    c.select("INBOX")
    typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK"
    # 2 replies to 1 (In-Reply-To); 4 references 3; roots by date: 1 (Dec 31), 3 (Jan 1)
    assert data[0] == b"(2 1)(3 4)"
    typ, data = c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
    assert data[0] == b"(2 1)(3 4)"
    typ, data = c.thread("REFERENCES", "US-ASCII", "NOT", "SUBJECT", "lunch")
    assert data[0] == b"(3 4)"
    typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "1:2")
    assert typ == "OK" and re.fullmatch(rb"\(\d+ \d+\)", data[0])
    with pytest.raises(imaplib.IMAP4.error):
        c.thread("BOGUS", "UTF-8", "ALL")
    c.logout()


def test_esort_and_partial(imap):
    c = client(imap)
    fill(c)
    c.logout()
    r = Raw(imap.imap_port)
    r.login()
    r.ok("SELECT INBOX")
    u, _ = r.ok("SORT RETURN (MIN MAX COUNT ALL) (REVERSE DATE) UTF-8 ALL")
    tag = b"t%d" % r.n
    assert u == [b'* ESEARCH (TAG "' + tag + b'") MIN 4 MAX 2 COUNT 4 ALL 4,3,1:2\r\n']
    u, _ = r.ok("SORT RETURN (PARTIAL 2:3) (REVERSE DATE) UTF-8 ALL")
    assert u[0].endswith(b" PARTIAL (2:3 3,1)\r\n")
    u, _ = r.ok("SORT RETURN (PARTIAL -1:-2) (REVERSE DATE) UTF-8 ALL")
    assert u[0].endswith(b" PARTIAL (-2:-1 1:2)\r\n")
    u, _ = r.ok("SORT RETURN (PARTIAL 5:9) (DATE) UTF-8 ALL")
    assert u[0].endswith(b" PARTIAL (5:9 NIL)\r\n")
    # UTF-8 search keys (a literal), against the decoded From
    tag = r.tag()
    r.send(tag + b" SORT (DATE) UTF-8 FROM {4+}\r\n\xc3\x89ve\r\n")
    u, t = r.until_tagged(tag)
    assert t.split()[1] == b"OK" and u == [b"* SORT 2\r\n"], (u, t)
    # RFC 5182: SAVE alone answers nothing, and "$" holds the result
    u, _ = r.ok("SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT budget")
    assert u == []
    u, _ = r.ok("SEARCH $")
    assert u == [b"* SEARCH 3 4\r\n"]
    u, _ = r.ok("SEARCH RETURN (PARTIAL 2:3) ALL")
    assert u[0].endswith(b" PARTIAL (2:3 2:3)\r\n")
    for bad in ("SORT RETURN (PARTIAL 1) (DATE) UTF-8 ALL",
                "SORT RETURN (PARTIAL 1:*) (DATE) UTF-8 ALL",
                "SORT RETURN (PARTIAL 0:2) (DATE) UTF-8 ALL",
                "SORT RETURN (PARTIAL -1:2) (DATE) UTF-8 ALL",
                "SEARCH RETURN (PARTIAL 1:2 ALL) ALL"):
        _, t = r.cmd(bad)
        assert t.split()[1] == b"BAD", (bad, t)
    r.close()


def test_context_updates(imap):
    c = client(imap)
    fill(c)
    r = Raw(imap.imap_port)
    r.login()
    r.ok("SELECT INBOX")
    u, _ = r.ok("SEARCH RETURN (UPDATE) UNSEEN")
    stag = b"t%d" % r.n
    assert u == [b'* ESEARCH (TAG "' + stag + b'") ALL 1:4\r\n']
    u, _ = r.ok("SORT RETURN (UPDATE COUNT) (REVERSE ARRIVAL) UTF-8 FLAGGED")
    otag = b"t%d" % r.n
    assert u == [b'* ESEARCH (TAG "' + otag + b'") COUNT 0\r\n']
    # another session's flag change: seen at the next command, REMOVEFROM / ADDTO
    c.select("INBOX")
    c.store("2,3", "+FLAGS", "(\\Seen \\Flagged)")
    u, _ = r.ok("NOOP")
    assert b'* ESEARCH (TAG "' + stag + b'") REMOVEFROM (2 2:3)\r\n' in u, u
    # the sorted context: 3 (13:00) before 2 (11:00) in REVERSE ARRIVAL
    assert b'* ESEARCH (TAG "' + otag + b'") ADDTO (1 3,2)\r\n' in u, u
    # its own STORE: told at once
    u, _ = r.ok("STORE 3 -FLAGS (\\Seen)")
    assert b'* ESEARCH (TAG "' + stag + b'") ADDTO (2 3)\r\n' in u, u
    # new mail: EXISTS first
    c.append("INBOX", "(\\Flagged)", None, b"Subject: new\r\n\r\nnew\r\n")
    u, _ = r.ok("NOOP")
    assert b"* 5 EXISTS\r\n" in u
    assert u.index(b"* 5 EXISTS\r\n") < u.index(b'* ESEARCH (TAG "' + stag
                                                + b'") ADDTO (4 5)\r\n'), u
    assert b'* ESEARCH (TAG "' + otag + b'") ADDTO (1 5)\r\n' in u, u
    # expunge: REMOVEFROM with the sequence numbers the EXPUNGEs still use, before them
    c.store("1", "+FLAGS", "(\\Deleted)")
    c.expunge()
    u, _ = r.ok("NOOP")
    rm = b'* ESEARCH (TAG "' + stag + b'") REMOVEFROM (1 1)\r\n'
    assert rm in u and u.index(rm) < u.index(b"* 1 EXPUNGE\r\n"), u
    # CANCELUPDATE: no more updates for that tag; unknown tags are BAD
    r.ok('CANCELUPDATE "%s"' % stag.decode())
    c.store("1", "+FLAGS", "(\\Seen)")
    u, _ = r.ok("NOOP")
    assert not any(stag in line for line in u), u
    _, t = r.cmd('CANCELUPDATE "nosuch"')
    assert t.split()[1] == b"BAD"
    # leaving the mailbox ends the contexts
    r.ok("UNSELECT")
    r.ok("SELECT INBOX")
    c.store("1:*", "-FLAGS", "(\\Flagged)")
    u, _ = r.ok("NOOP")
    assert not any(b"ESEARCH" in line for line in u), u
    r.close()
    c.logout()


def test_context_limit(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_max_contexts": "1"})
    port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    r = Raw(port)
    r.login()
    r.ok("SELECT INBOX")
    r.ok("SEARCH RETURN (UPDATE) ALL")
    u, t = r.ok("SEARCH RETURN (UPDATE) ALL")
    assert any(b"[NOUPDATE" in line for line in u), u
    r.close()


def test_index_from_before_sort_keys(imap):
    """An index.db of schema 1 (no sortkeys column) is migrated at open; its rows get
    their keys built from the message headers at the first SORT/THREAD and stored."""
    c = client(imap)
    fill(c)
    c.logout()
    imap.stop()
    imap.store.make_schema1(USER)
    imap.start()
    c = client(imap)  # the account's index is opened (and migrated) at login
    c.select("INBOX")
    assert imap.store.sortkeys_missing(USER) == 4
    assert c.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"3 4 1 2"
    assert c.thread("REFERENCES", "UTF-8", "ALL")[1][0] == b"(2 1)(3 4)"
    assert imap.store.sortkeys_missing(USER) == 0
    # new mail has its keys from delivery
    c.append("INBOX", None, None, b"Subject: Re: budget\r\nFrom: a@b\r\n\r\nx\r\n")
    assert imap.store.sortkeys_missing(USER) == 0
    assert c.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"3 4 5 1 2"
    c.logout()


@pytest.mark.parametrize("cache", ["100000", "0"])
def test_sort_cache_follows_the_mailbox(yubin_factory, cache):
    """The in-memory keys (imap_sort_cache_messages; 0: none) give the same answers as the
    index as mail arrives, is expunged, and the mailbox is deleted and made again under
    the same name (a new mailbox: none of the old keys may be used)."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_sort_cache_messages": cache})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    a, b = client(srv), client(srv)
    a.create("Box")
    fill(a, mailbox="Box")
    for c in (a, b):
        c.select("Box")
    assert a.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"3 4 1 2"
    b.append("Box", None, None, b"Subject: aaa\r\nMessage-ID: <9@t>\r\nReferences: <1@t>\r\n"
             b"\r\nx\r\n")
    a.noop()  # EXISTS: the view has it now
    b.noop()
    assert a.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"5 3 4 1 2"
    assert b.thread("REFERENCES", "UTF-8", "ALL")[1][0] == b"(2 (1)(5))(3 4)"
    b.store("3", "+FLAGS", "(\\Deleted)")
    b.expunge()
    assert b.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"4 3 1 2"
    a.noop()
    assert a.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"4 3 1 2"
    # the same name, a new mailbox
    a.close()
    b.close()
    a.delete("Box")
    a.create("Box")
    a.append("Box", None, None, b"Subject: zzz\r\n\r\nx\r\n")
    a.append("Box", None, None, b"Subject: mmm\r\n\r\nx\r\n")
    a.select("Box")
    assert a.sort("(SUBJECT)", "UTF-8", "ALL")[1][0] == b"2 1"
    assert a.thread("ORDEREDSUBJECT", "UTF-8", "ALL")[1][0] == b"(1)(2)"  # same date: by sequence
    a.logout()
    b.logout()


def test_context_update_evaluates_only_the_changed_messages(imap):
    """A context is brought up to date by evaluating its query on the messages that changed
    (new, or a MODSEQ that moved) when its keys depend on nothing else: a BODY search then
    costs the changed messages, not the mailbox. Shown with a message whose file is gone:
    evaluating the whole view again would read it (and drop it from the result)."""
    import glob
    import os
    c = client(imap)
    for i in range(3):
        c.append("INBOX", None, None,
                 b"Subject: m%d\r\n\r\nthe needle %d is here\r\n" % (i, i))
    r = Raw(imap.imap_port)
    r.login()
    r.ok("SELECT INBOX")
    u, _ = r.ok("UID SEARCH RETURN (UPDATE) BODY needle")
    stag = b"t%d" % r.n
    assert u == [b'* ESEARCH (TAG "' + stag + b'") UID ALL 1:3\r\n'], u
    u, _ = r.ok("UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 BODY needle")
    otag = b"t%d" % r.n
    files = glob.glob(os.path.join(imap.data_dir, "mail", USER.lower(), "msg", "*"))
    gone = [f for f in files if b"the needle 0 " in open(f, "rb").read()]
    assert len(gone) == 1, files
    os.unlink(gone[0])
    # a flag change on message 2: only it is evaluated again, it still matches
    c.select("INBOX")
    c.store("2", "+FLAGS", "(\\Flagged)")
    u, t = r.ok("NOOP")
    assert not any(b"ESEARCH" in line for line in u), u
    # new mail: evaluated alone, joins both results in its place
    c.append("INBOX", None, None, b"Subject: m0a\r\n\r\nanother needle\r\n")
    u, _ = r.ok("NOOP")
    assert b'* ESEARCH (TAG "' + stag + b'") UID ADDTO (4 4)\r\n' in u, u
    assert b'* ESEARCH (TAG "' + otag + b'") UID ADDTO (2 4)\r\n' in u, u
    # a keyword that makes a message leave a result, and come back
    u, _ = r.ok("UID SEARCH RETURN (UPDATE) UNKEYWORD $done")
    ktag = b"t%d" % r.n
    c.store("3", "+FLAGS", "($done)")
    u, _ = r.ok("NOOP")
    assert b'* ESEARCH (TAG "' + ktag + b'") UID REMOVEFROM (3 3)\r\n' in u, u
    c.store("3", "-FLAGS", "($done)")
    u, _ = r.ok("NOOP")
    assert b'* ESEARCH (TAG "' + ktag + b'") UID ADDTO (3 3)\r\n' in u, u
    # positional keys (message numbers) are evaluated on the whole view: an expunge moves
    # message 4 to number 3, into "1:3"
    u, _ = r.ok("UID SEARCH RETURN (UPDATE) 1:3 UNKEYWORD $x")
    ptag = b"t%d" % r.n
    assert u == [b'* ESEARCH (TAG "' + ptag + b'") UID ALL 1:3\r\n'], u
    c.store("2", "+FLAGS", "(\\Deleted)")
    c.expunge()
    u, _ = r.ok("NOOP")
    assert b'* ESEARCH (TAG "' + ptag + b'") UID ADDTO (3 4)\r\n' in u, u
    r.close()
    c.logout()


def test_first_sort_of_a_big_mailbox_in_slices(imap):
    """More than 1,000 messages whose keys are not cached: the first SORT/THREAD reads them
    in slices (imap_sort_cache_load), another session is answered meanwhile, and the result
    is the one the index walk gives (a BODY key takes that path)."""
    import random
    import threading
    rnd = random.Random(5)
    n = 1500
    r = Raw(imap.imap_port, timeout=120)
    r.login()
    data = b""
    for i in range(n):
        m = (b"From: u%d@a.test\r\nSubject: s%04d\r\nMessage-ID: <%d@t>\r\n%s\r\nbody x\r\n"
             % (i % 7, rnd.randrange(400), i,
                b"References: <%d@t>\r\n" % rnd.randrange(i) if i and i % 3 == 0 else b""))
        data += b"a%d APPEND INBOX {%d+}\r\n" % (i, len(m)) + m + b"\r\n"
    r.send(data)
    r.until_tagged(b"a%d" % (n - 1))
    r.ok("SELECT INBOX")
    other = Raw(imap.imap_port)
    other.login()
    noops = []

    def probe():
        while len(noops) < 5:
            other.ok("NOOP")
            noops.append(1)
    th = threading.Thread(target=probe)
    th.start()
    first, _ = r.ok("UID SORT (SUBJECT FROM) UTF-8 ALL")
    th.join(60)
    assert len(noops) == 5
    cached, _ = r.ok("UID SORT (SUBJECT FROM) UTF-8 ALL")
    walked, _ = r.ok("UID SORT (SUBJECT FROM) UTF-8 BODY x")
    assert first == cached == walked, (first[0][:200], walked[0][:200])
    assert len(first[0].split()) == 2 + n
    # THREAD on a copy (a new mailbox: nothing cached)
    r.ok("CREATE Copy")
    r.ok("COPY 1:* Copy")
    r.ok("SELECT Copy")
    t1, _ = r.ok("UID THREAD REFERENCES UTF-8 ALL")
    t2, _ = r.ok("UID THREAD REFERENCES UTF-8 ALL")
    t3, _ = r.ok("UID THREAD REFERENCES UTF-8 BODY x")
    assert t1 == t2 == t3 and t1[0].startswith(b"* THREAD ("), t1[0][:100]
    other.close()
    r.close()

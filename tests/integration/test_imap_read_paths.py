"""The fast read paths of FETCH 1:* and SEARCH (issue 11, "Read paths on a realistic
mailbox") give the same answers as the general ones: HEADER/HEADER.FIELDS of the message
from the header kept at delivery without the parts blob, FLAGS rendered once per flag set,
RFC822.SIZE/INTERNALDATE/MODSEQ with a cursor that reads no flags from the index, and
SEARCH FROM/SUBJECT on the decoded fields (substring, case-insensitive, the normalized
address form)."""
import os
import re
import sqlite3

import pytest

from conftest import free_port
from test_imap_protocol import Raw, USER, deliver


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def index_path(srv):
    return os.path.join(srv.data_dir, "mail", USER.lower(), "index.db")


def restart_with(srv, sql):
    """Stops the server, runs sql on the index, starts it again; returns a client that
    has EXAMINEd INBOX."""
    srv.stop()
    db = sqlite3.connect(index_path(srv))
    db.execute(sql)
    db.commit()
    db.close()
    srv.start()
    return examine(srv)


def examine(srv):
    c = Raw(srv.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    return c


NESTED = (b"From: Outer <outer@remote.test>\r\nTo: %s\r\nSubject: outer\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
          b"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
          b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
          b"From: inner@remote.test\r\nSubject: inner\r\n\r\ninner body\r\n"
          b"--b1--\r\n") % USER.encode()

SECTIONS = ("BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[HEADER] RFC822.HEADER"
            " BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT)] BODY.PEEK[HEADER]<5.20>"
            " BODY.PEEK[HEADER.FIELDS (subject)]<2.1000>")


def items(untagged):
    return [u for u in untagged if b" FETCH " in u]


def test_header_sections_without_the_parts_blob(imap):
    """Top-level header sections come from the stored header: a parts blob that cannot be
    decoded no longer empties them (it did while every section decoded it); sections of a
    nested message still need it and are empty then, as before."""
    deliver(imap, subject="plain one")
    deliver(imap, raw=NESTED)
    c = Raw(imap.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    before = items(c.ok("FETCH 1:* (%s)" % SECTIONS)[0])
    nested = items(c.ok("FETCH 2 (BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])")[0])
    assert b"Subject: plain one\r\n" in before[0] and b"Subject: outer\r\n" in before[1]
    assert b"Subject: inner" in nested[0]
    c.close()
    c = restart_with(imap, "UPDATE msgdata SET parts = X'FFFFFFFF'")
    assert items(c.ok("FETCH 1:* (%s)" % SECTIONS)[0]) == before
    after = items(c.ok("FETCH 2 (BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])")[0])
    assert b"Subject: inner" not in after[0], after
    c.close()


def flag_list(line):
    return sorted(re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split())


def test_fetch_flags_of_mixed_flag_sets(imap):
    for i in range(12):
        deliver(imap, subject="m%d" % i)
    c = Raw(imap.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    c.ok("STORE 2,5,9 +FLAGS.SILENT (\\Seen)")
    c.ok("STORE 3,5 +FLAGS.SILENT ($Label1)")
    c.ok("STORE 4,9,10 +FLAGS.SILENT (\\Flagged $Label2)")
    c.ok("STORE 11 +FLAGS.SILENT ($Label1 $Label2 \\Answered)")
    whole = items(c.ok("FETCH 1:* (FLAGS)")[0])
    assert len(whole) == 12
    for i, line in enumerate(whole, 1):
        one = items(c.ok("FETCH %d (FLAGS)" % i)[0])
        assert flag_list(line) == flag_list(one[0]), (i, line, one)
    assert flag_list(whole[10]) == sorted([b"$Label1", b"$Label2", b"\\Answered", b"\\Recent"])
    assert flag_list(whole[0]) == [b"\\Recent"]
    # UID FETCH adds UID; MODSEQ comes from the view too (CONDSTORE)
    got = items(c.ok("UID FETCH 1:* (FLAGS MODSEQ RFC822.SIZE) (CHANGEDSINCE 1)")[0])
    assert len(got) == 12 and all(b"MODSEQ (" in g and b"UID " in g for g in got)
    c.close()


def test_size_and_internaldate_and_changedsince(imap):
    for i in range(5):
        deliver(imap, subject="s%d" % i, body="x" * (100 * i) + "\r\n")
    c = Raw(imap.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    sizes = [int(x) for x in re.findall(rb"RFC822\.SIZE (\d+)",
                                        b"".join(c.ok("FETCH 1:* (RFC822.SIZE)")[0]))]
    for i in range(5):
        raw = b"".join(c.ok("FETCH %d (BODY.PEEK[])" % (i + 1))[0])
        assert int(re.search(rb"\{(\d+)\}", raw).group(1)) == sizes[i]
    dates = c.ok("FETCH 1:* (INTERNALDATE RFC822.SIZE)")[0]
    assert len(items(dates)) == 5 and all(b'INTERNALDATE "' in d for d in items(dates))
    modseqs = dict(re.findall(rb"\* (\d+) FETCH \(MODSEQ \((\d+)\)\)",
                              b"".join(c.ok("FETCH 1:* (MODSEQ)")[0])))
    c.ok("STORE 3 +FLAGS.SILENT (\\Flagged)")
    changed = items(c.ok("FETCH 1:* (RFC822.SIZE) (CHANGEDSINCE %s)" % max(modseqs.values())
                         .decode())[0])
    assert len(changed) == 1 and changed[0].startswith(b"* 3 FETCH"), changed
    c.close()


def test_search_from_and_subject(imap):
    deliver(imap, raw=b"From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@Example.ORG>\r\n"
                      b"To: %s\r\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?=\r\n\r\nx\r\n"
                      % USER.encode())
    deliver(imap, raw=b"From: <user (a comment)@ domain.org>\r\nTo: %s\r\n"
                      b"Subject: Quarterly REPORT\r\n\r\nx\r\n" % USER.encode())
    deliver(imap, raw=b"From: other@remote.test\r\nTo: %s\r\nSubject: nothing\r\n\r\nx\r\n"
            % USER.encode())
    c = Raw(imap.imap_port)
    c.login()
    c.ok("SELECT INBOX")

    def search(crit):
        line = [u for u in c.ok("UID SEARCH " + crit)[0] if u.startswith(b"* SEARCH")][0]
        return [int(x) for x in line.split()[2:]]

    assert search("FROM jw@example.org") == [1]
    assert search("FROM user@domain.org") == [2]    # only in the normalized form
    assert search("FROM \"<user@domain\"") == [2]
    assert search("FROM remote.test") == [3]
    assert search("SUBJECT report") == [2]
    assert search("SUBJECT \"aus berlin\"") == [1]
    assert search("NOT SUBJECT report") == [1, 3]
    assert search("OR FROM other SUBJECT quarterly") == [2, 3]
    c.close()


# -- BODYSTRUCTURE kept in memory (imap_fetch_cache.c) ----------------------------------------
def bodystructures(c, cmd="FETCH 1:* (BODYSTRUCTURE)"):
    return [re.sub(rb"^\* \d+ FETCH \(|UID \d+ ", b"", u) for u in items(c.ok(cmd)[0])]


def one_by_one(c, n):
    """Each message's BODYSTRUCTURE through the index (a header field list the cache does
    not hold, asked for one message, makes it no cache-only FETCH), in the same form as
    bodystructures()."""
    out = []
    for i in range(1, n + 1):
        line = items(c.ok("FETCH %d (BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (X-NONE)])" % i)[0])[0]
        # the section comes after the items
        out.append(line[line.index(b"BODYSTRUCTURE "):line.index(b" BODY[HEADER.FIELDS")]
                   + b")\r\n")
    return out


def test_bodystructure_cache_follows_the_mailbox(imap):
    deliver(imap, subject="a")
    deliver(imap, raw=NESTED)
    c = Raw(imap.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    first = bodystructures(c)
    assert first == one_by_one(c, 2)
    deliver(imap, raw=NESTED.replace(b"text/plain", b"text/html"))   # the cache grows
    deliver(imap, subject="d")
    c.ok("NOOP")
    assert bodystructures(c) == one_by_one(c, 4)
    other = Raw(imap.imap_port)
    other.login()
    other.ok("SELECT INBOX")
    other.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    other.ok("CREATE Box")
    other.ok("COPY 1:* Box")
    assert bodystructures(other) == one_by_one(other, 3)
    other.ok("SELECT Box")
    assert bodystructures(other) == one_by_one(other, 3)
    c.ok("NOOP")
    got = bodystructures(c, "UID FETCH 1:* (UID BODYSTRUCTURE FLAGS)")
    assert len(got) == 3 and all(b"BODYSTRUCTURE (" in g and b"FLAGS (" in g for g in got)
    c.close()
    other.close()


@pytest.mark.parametrize("limit,cached", [(100000, True), (0, False)])
def test_bodystructure_is_kept_in_memory(yubin_factory, limit, cached):
    """The second FETCH 1:* (BODYSTRUCTURE) does not read the index: a row changed behind
    the server's back (never done by yubin, BODYSTRUCTURE is immutable) shows only
    without the cache (imap_fetch_cache_messages = 0)."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": str(limit)})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    for i in range(40):   # a FETCH of fewer than 32 messages does not fill the cache
        deliver(srv, subject="x%d" % i)
    c = Raw(srv.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    before = bodystructures(c)
    db = sqlite3.connect(index_path(srv), timeout=10)
    db.execute("UPDATE msgdata SET bodystructure = CAST('(\"TEXT\" \"X-CHANGED\" NIL NIL NIL"
               " \"7BIT\" 1 1 NIL NIL NIL NIL)' AS BLOB)")
    db.commit()
    db.close()
    after = bodystructures(c)
    assert (after == before) == cached, (before, after)
    c.close()


# -- SEARCH SUBJECT/FROM on the cache's folded fields -------------------------------------------
TRICKY = [
    b"From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@Example.ORG>\r\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?=\r\n",
    b"From: <user (a comment)@ domain.org>\r\nSubject: Quarterly REPORT\r\n",
    b"From: Team: alice@remote.test, bob@remote.test;\r\nSubject: group\r\n",
    b"Subject: no from at all\r\n",
    b"From: \"Quoted, Name\" <q@remote.test>\r\n",
    b"From: plain@remote.test\r\nSubject: \r\n",
    b"From: =?ISO-8859-1?Q?Andr=E9?= <andre@remote.test>\r\nSubject: =?ISO-8859-1?Q?caf=E9?=\r\n",
]
CRITERIA = ["FROM jw@example.org", "FROM user@domain.org", "FROM \"<user@domain\"",
            "FROM \"team: <alice\"", "FROM \"quoted, name\"", "FROM remote.test", "FROM \"\"",
            "SUBJECT report", "SUBJECT \"aus berlin\"", "SUBJECT \"\"", "NOT SUBJECT group",
            "OR FROM bob SUBJECT quarterly", "SUBJECT CAFÉ", "FROM andré", "FROM \"> ,\"",
            "UNSEEN FROM remote", "1:3 SUBJECT o", "FROM q SUBJECT x"]


def search_all(c):
    out = []
    for crit in CRITERIA:
        data = crit.encode()
        tag = c.tag()
        if any(b > 127 for b in data):
            c.send(tag + b" UID SEARCH CHARSET UTF-8 " + data.split(b" ")[0] + b" {%d+}\r\n"
                   % len(data.split(b" ", 1)[1]) + data.split(b" ", 1)[1] + b"\r\n")
        else:
            c.send(tag + b" UID SEARCH " + data + b"\r\n")
        untagged, tagged = c.until_tagged(tag)
        assert tagged.split()[1] == b"OK", (crit, tagged)
        out.append((crit, [u for u in untagged if u.startswith(b"* SEARCH")][0]))
    return out


@pytest.mark.parametrize("limit", [100000, 0])
def test_search_subject_from_same_with_and_without_cache(yubin_factory, limit):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": str(limit)})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    for h in TRICKY:
        deliver(srv, raw=h + b"To: %s\r\n\r\nbody\r\n" % USER.encode())
    c = Raw(srv.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    c.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    got = dict(search_all(c))
    assert got["FROM jw@example.org"] == b"* SEARCH 1\r\n"
    assert got["FROM user@domain.org"] == b"* SEARCH 2\r\n"
    assert got["SUBJECT report"] == b"* SEARCH 2\r\n"
    assert got["SUBJECT CAFÉ"] == b"* SEARCH 7\r\n"
    assert got["FROM andré"] == b"* SEARCH 7\r\n"
    assert got["UNSEEN FROM remote"] == b"* SEARCH 3 5 6 7\r\n"
    # the reference: the same criteria with a key that reads the row (no cache path)
    for crit, line in got.items():
        tag = c.tag()
        data = ("LARGER 1 " + crit).encode()
        if any(b > 127 for b in data):
            key, value = data.rsplit(b" ", 1)
            c.send(tag + b" UID SEARCH CHARSET UTF-8 " + key + b" {%d+}\r\n" % len(value)
                   + value + b"\r\n")
        else:
            c.send(tag + b" UID SEARCH " + data + b"\r\n")
        untagged, _ = c.until_tagged(tag)
        assert [u for u in untagged if u.startswith(b"* SEARCH")][0] == line, crit
    c.close()


@pytest.mark.parametrize("limit,cached", [(100000, True), (0, False)])
def test_search_fields_are_kept_in_memory(yubin_factory, limit, cached):
    """A second SEARCH SUBJECT reads no row: a subject changed behind the server's back
    (never done by yubin: the decoded fields are immutable) shows only without the
    cache."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": str(limit)})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    deliver(srv, subject="apple")
    c = Raw(srv.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    assert b"* SEARCH 1\r\n" in c.ok("SEARCH SUBJECT apple")[0]
    db = sqlite3.connect(index_path(srv), timeout=10)
    db.execute("UPDATE msgdata SET subject = CAST('banana' AS BLOB)")
    db.commit()
    db.close()
    found = b"* SEARCH 1\r\n" in c.ok("SEARCH SUBJECT apple")[0]
    assert found == cached
    c.close()


def change_bodystructures_behind(srv):
    db = sqlite3.connect(index_path(srv), timeout=10)
    db.execute("UPDATE msgdata SET bodystructure = CAST('(\"TEXT\" \"X-CHANGED\" NIL NIL NIL"
               " \"7BIT\" 1 1 NIL NIL NIL NIL)' AS BLOB)")
    db.commit()
    db.close()


def test_small_fetch_of_a_big_mailbox_makes_no_cache(imap):
    """A FETCH of a few messages of a mailbox of more than 256 reads their rows and does not
    fill the cache of the whole mailbox (one index walk) for them: the row changed behind the
    server's back shows."""
    c = Raw(imap.imap_port)
    c.login()
    msg = b"From: a@remote.test\r\nSubject: s\r\n\r\nbody\r\n"
    # one MULTIAPPEND (RFC 3502) of 257 messages
    parts = b"".join(b" {%d+}\r\n%s" % (len(msg), msg) for _ in range(257))
    c.ok(b"APPEND INBOX" + parts)
    c.ok("EXAMINE INBOX")
    first = bodystructures(c, "FETCH 1 (BODYSTRUCTURE)")
    change_bodystructures_behind(imap)
    second = bodystructures(c, "FETCH 1 (BODYSTRUCTURE)")
    assert first != second and b"X-CHANGED" in second[0], (first, second)
    c.close()


def test_small_mailbox_is_cached_whole(imap):
    """A mailbox of at most 256 messages is read whole into the cache by its first FETCH of
    BODYSTRUCTURE, ENVELOPE, BODY or INTERNALDATE, however few messages it asks for: the row
    changed behind the server's back does not show (the cache holds what never changes for a
    UID), and every field the cache serves is the index's."""
    deliver(imap, subject="x")
    deliver(imap, subject="y")
    c = Raw(imap.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    want = "UID INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE"
    first = c.ok("FETCH 1:2 (%s)" % want)[0]
    change_bodystructures_behind(imap)
    again = c.ok("FETCH 1:2 (%s)" % want)[0]
    assert again == first and b"X-CHANGED" not in b"".join(again), (first, again)
    one = c.ok("FETCH 2 (ENVELOPE)")[0]
    assert b'"y"' in one[0] and b"X-CHANGED" not in one[0], one
    c.close()
    # a new session of a restarted server reads the index (no cache): the same answers
    # but the changed BODYSTRUCTUREs
    imap.stop()
    imap.start()
    c = Raw(imap.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    fresh = c.ok("FETCH 1:2 (%s)" % want)[0]
    strip = [re.sub(rb"BODYSTRUCTURE \(.*\)\)", b"", x) for x in fresh]
    assert strip == [re.sub(rb"BODYSTRUCTURE \(.*\)\)", b"", x) for x in first], (fresh, first)
    assert all(b"X-CHANGED" in x for x in fresh), fresh
    c.close()


# -- HEADER.FIELDS kept filtered in memory (imap_fetch_cache.c) -------------------------------
HDR_LISTS = ["BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)]",
             "BODY.PEEK[HEADER.FIELDS (subject x-missing)]",
             "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT RECEIVED)]",
             "BODY.PEEK[HEADER.FIELDS (From Subject)]<3.17>"]


def many(srv, n):
    for i in range(n):
        deliver(srv, raw=(b"Received: from a by b; Mon, 4 Mar 2024 10:00:00 +0100\r\n"
                          b"From: S%d <s%d@remote.test>\r\nTo: %s\r\n%sSubject: m%d\r\n"
                          b"Message-ID: <%d.h@remote.test>\r\n\r\nbody %d\r\n"
                          % (i, i, USER.encode(), b"Cc: c@remote.test\r\n" if i % 3 else b"",
                             i, i, i)))


def fetch_lines(c, cmd):
    return items(c.ok(cmd)[0])


@pytest.mark.parametrize("limit", [100000, 0])
def test_header_fields_same_with_and_without_cache(yubin_factory, limit):
    """FETCH 1:* of HEADER.FIELDS[.NOT] (with UID, FLAGS, RFC822.SIZE, BODYSTRUCTURE, a
    <partial>) answers the same whether the filtered headers come from the cache or from
    the index; lists switch, new mail is added, expunged messages go; the answers are
    compared with one-message FETCHes (which read the index) and across the two limits."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": str(limit)})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    many(srv, 36)
    deliver(srv, raw=NESTED)
    c = Raw(srv.imap_port)
    c.login()
    c.ok("SELECT INBOX")
    for sec in HDR_LISTS:
        whole = fetch_lines(c, "FETCH 1:* (UID RFC822.SIZE FLAGS %s)" % sec)
        assert len(whole) == 37
        for i in (1, 2, 3, 37):
            assert whole[i - 1] == fetch_lines(
                c, "FETCH %d (UID RFC822.SIZE FLAGS %s)" % (i, sec))[0], (sec, i)
    first = fetch_lines(c, "FETCH 1:* (%s)" % HDR_LISTS[0])
    assert b"{" in first[0] and b"Subject: m0\r\n" in first[0]
    # new mail, an expunge by another session, then the first list again
    many(srv, 2)
    other = Raw(srv.imap_port)
    other.login()
    other.ok("SELECT INBOX")
    other.ok("STORE 5 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    c.ok("NOOP")
    again = fetch_lines(c, "UID FETCH 1:* (%s BODYSTRUCTURE)" % HDR_LISTS[0])
    assert len(again) == 38
    assert not any(b"Subject: m4\r\n" in line for line in again)
    assert b"Subject: m1\r\n" in again[-1] and b"UID 39" in again[-1]
    # not PEEK: \Seen set, FLAGS sent with it
    seen = fetch_lines(c, "FETCH 1:3 (BODY[HEADER.FIELDS (SUBJECT)])")
    assert all(b"\\Seen" in line for line in seen), seen
    c.close()
    other.close()


@pytest.mark.parametrize("limit,cached", [(100000, True), (0, False)])
def test_header_fields_are_kept_in_memory(yubin_factory, limit, cached):
    """The second FETCH 1:* of the same HEADER.FIELDS list reads no row: a header changed
    behind the server's back (never done by yubin: it is immutable) shows only without
    the cache; another list is read from the index again."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": str(limit)})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    many(srv, 40)
    c = examine(srv)
    cmd = "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
    before = fetch_lines(c, cmd)
    db = sqlite3.connect(index_path(srv), timeout=10)
    db.execute("UPDATE msgdata SET header = CAST('Subject: changed' || char(13, 10, 13, 10)"
               " AS BLOB)")
    db.commit()
    db.close()
    after = fetch_lines(c, cmd)
    assert (after == before) == cached, (before[:2], after[:2])
    other = fetch_lines(c, "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
    assert b"Subject: changed\r\n" in other[0]
    c.close()


def test_header_fields_of_rows_without_header(imap):
    """Rows from before the header was kept (msgdata.header NULL) are not cached: their
    header fields come from the message file, as before."""
    many(imap, 40)
    c = examine(imap)
    cmd = "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])"
    before = fetch_lines(c, cmd)
    c.close()
    c = restart_with(imap, "UPDATE msgdata SET header = NULL WHERE rowid % 2 = 0")
    assert fetch_lines(c, cmd) == before
    assert fetch_lines(c, cmd) == before
    c.close()


def test_caches_of_two_mailboxes_over_the_limit(yubin_factory):
    """One account, two mailboxes of 40 messages, caches of 50 messages per account: each
    mailbox drops the other's entry (least recently used first) and the answers stay
    right (SORT keys, BODYSTRUCTURE, header fields, SEARCH SUBJECT)."""
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": "50",
                                "imap_sort_cache_messages": "50"})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    many(srv, 40)
    c = Raw(srv.imap_port)
    c.login()
    c.ok("CREATE Other")
    c.ok("SELECT INBOX")
    c.ok("COPY 1:20 Other")
    answers = {}
    cmds = ["UID SORT (SUBJECT) UTF-8 ALL", "FETCH 1:* (BODYSTRUCTURE)",
            "FETCH 1:* (%s)" % HDR_LISTS[0], "UID SEARCH SUBJECT m1"]
    for rnd in range(3):
        for box in ("INBOX", "Other"):
            c.ok("EXAMINE " + box)
            for cmd in cmds:
                got = c.ok(cmd)[0]
                assert answers.setdefault((box, cmd), got) == got, (rnd, box, cmd)
    assert len(items(answers[("Other", cmds[1])])) == 20
    c.close()


# -- a small mailbox's headers and parts in memory (imap_fetch_cache_get_small) ------------
SMALL_SECTIONS = ["BODY.PEEK[HEADER.FIELDS (Subject From)]", "BODY.PEEK[HEADER]",
                  "RFC822.HEADER", "BODY.PEEK[TEXT]", "BODY.PEEK[1]", "BODY.PEEK[2.HEADER]",
                  "BODY.PEEK[2.MIME]", "BODY.PEEK[1]<2.3>", "BODY.PEEK[]",
                  "BODY.PEEK[HEADER.FIELDS.NOT (To)] BODY.PEEK[TEXT]<1.4>",
                  "UID ENVELOPE BODY.PEEK[HEADER.FIELDS (Date)]", "BINARY.PEEK[1]"]


def small_answers(srv):
    c = examine(srv)
    out = []
    for sec in SMALL_SECTIONS:
        for which in ("1:*", "2", "3:4"):
            out.append((which, sec, items(c.ok("FETCH %s (%s)" % (which, sec))[0])))
    c.close()
    return out


@pytest.fixture
def no_cache(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imap_fetch_cache_messages": "0"})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def test_small_mailbox_sections_from_memory(imap, no_cache):
    """A FETCH of sections of a mailbox of at most 256 messages takes the header and parts
    from memory (any header field list, the parts' ranges for the body sections): the same
    answers as from the index (a server with the cache off), and a header changed behind
    the server's back after the first FETCH does not show."""
    plain = b"From: a@remote.test\r\nTo: b@remote.test\r\nSubject: %s\r\n\r\nbody %s\r\n"
    msgs = [plain % (b"one", b"1"), NESTED, NESTED.replace(b"hello", b"hello again"),
            plain % (b"four", b"4")]
    for srv in (imap, no_cache):   # the same bytes and dates in both
        c = Raw(srv.imap_port)
        c.login()
        for m in msgs:
            c.ok(b'APPEND INBOX "01-Jan-2024 10:00:00 +0100" {%d+}\r\n%s' % (len(m), m))
        c.close()
    assert small_answers(imap) == small_answers(no_cache)
    c = examine(imap)
    first = items(c.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT])")[0])
    db = sqlite3.connect(index_path(imap), timeout=10)
    db.execute("UPDATE msgdata SET header = CAST('Subject: X-CHANGED' || char(13, 10, 13, 10)"
               " AS BLOB)")
    db.commit()
    db.close()
    again = items(c.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT])")[0])
    assert again == first and b"X-CHANGED" not in b"".join(again), (first, again)
    c.close()

"""The top-level header is kept in the index at delivery (schema step 3): BODY[HEADER],
BODY[HEADER.FIELDS (...)] and RFC822.HEADER of a message are served from it without opening
the message file (a FETCH 1:* of header fields opened one file per message), with the
delivery prefix (Return-Path, Received) included; rows from before the step have no header
and are read from the file as before."""
import glob
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


FETCH = ("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[HEADER] RFC822.HEADER"
         " BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT)])")


def headers(c, mailbox="INBOX"):
    c.ok("EXAMINE " + mailbox)
    untagged, _ = c.ok(FETCH)
    return [u for u in untagged if b" FETCH " in u]


def account_dir(srv):
    return os.path.join(srv.data_dir, "mail", USER.lower())


def test_header_served_without_the_file(imap):
    deliver(imap, subject="first", body="body one\r\n")
    deliver(imap, subject="second", body="body two\r\n")
    c = Raw(imap.imap_port)
    c.login()
    c.ok("EXAMINE INBOX")
    untagged, _ = c.ok("FETCH 1 BODY.PEEK[]")
    full = re.search(rb"\{(\d+)\}\r\n", untagged[0])
    raw = untagged[0][full.end():full.end() + int(full.group(1))]
    header = raw[:raw.index(b"\r\n\r\n") + 4]
    assert b"Received: " in header and b"Subject: first" in header  # the prefix is in it
    before = headers(c)
    assert len(before) == 2 and header in before[0], before[0][:300]
    assert b"Subject: first\r\n" in before[0]
    c.ok("CREATE Other")
    c.ok("COPY 1:* Other")   # a copy keeps the header (it shares the file)
    # the message files go: the headers still come, from the index
    files = glob.glob(os.path.join(account_dir(imap), "msg", "*"))
    assert len(files) == 2
    for f in files:
        os.unlink(f)
    assert headers(c) == before
    assert headers(c, "Other") == before
    c.close()


def test_rows_from_before_read_the_file(imap):
    """An index from before step 6 (no header column) is migrated; its rows have no
    header and are served from the file, new deliveries have one."""
    deliver(imap, subject="old")
    imap.stop()
    db = sqlite3.connect(os.path.join(account_dir(imap), "index.db"))
    db.execute("ALTER TABLE msgdata DROP COLUMN header")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    imap.start()
    deliver(imap, subject="new")
    c = Raw(imap.imap_port)
    c.login()
    got = headers(c)
    assert b"Subject: old\r\n" in got[0] and b"Subject: new\r\n" in got[1]
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(account_dir(imap), "index.db"),
                         uri=True)
    rows = db.execute("SELECT header IS NULL FROM msgdata ORDER BY id").fetchall()
    db.close()
    assert rows == [(1,), (0,)], rows
    c.close()

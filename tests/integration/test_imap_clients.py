"""IMAP (issue 4) with real clients: mbsync (isync) doing a full sync of several folders
into a local Maildir, a second run that changes nothing, and flag changes on each side
synced both ways; curl over imap (plain and STARTTLS) and imaps."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import PASSWORD, free_port
from test_imap_protocol import USER, Raw, deliver, msg

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None or shutil.which("curl") is None,
                                reason="needs mbsync (isync) and curl")


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port(),
                                "imaps_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    srv.imaps_port = int(srv.settings["imaps_listen"].rsplit(":", 1)[1])
    return srv


MBSYNCRC = """IMAPAccount yubin
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType None
AuthMechs PLAIN LOGIN

IMAPStore remote
Account yubin

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""


def mbsync(rc):
    p = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, timeout=120)
    assert p.returncode == 0, (p.stdout + p.stderr).decode("utf-8", "replace")
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def maildir_files(root):
    out = {}
    for d, _, files in os.walk(root):
        if os.path.basename(d) in ("cur", "new"):
            for f in files:
                out[os.path.join(d, f)] = os.path.getsize(os.path.join(d, f))
    return out


def test_mbsync_full_sync_second_run_and_flags_both_ways(imap, tmp_path):
    c = Raw(imap.imap_port)
    c.login()
    layout = {"INBOX": 3, "Work": 2, "Work/Reports": 2, "Lists": 1}
    for box, n in layout.items():
        if box != "INBOX":
            c.ok('CREATE "%s"' % box)
        for i in range(n):
            m = msg("%s %d" % (box, i), "body of %s %d\r\n" % (box, i))
            c.ok(b'APPEND "%s" {%d+}\r\n' % (box.encode(), len(m)) + m)
    maildir = tmp_path / "Mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(MBSYNCRC.format(port=imap.imap_port, user=USER, password=PASSWORD,
                                  maildir=maildir))
    mbsync(str(rc))
    for box, n in layout.items():
        files = maildir_files(maildir / box)
        files = {f: s for f, s in files.items()
                 if os.path.dirname(os.path.dirname(f)) == str(maildir / box)}
        assert len(files) == n, (box, files)
    # a second run changes nothing, on either side
    before_local = maildir_files(maildir)
    untagged, _ = c.ok("STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)")
    mbsync(str(rc))
    assert maildir_files(maildir) == before_local
    untagged2, _ = c.ok("STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)")
    assert untagged2 == untagged
    # a flag changed on each side
    c.ok("SELECT INBOX")
    c.ok("STORE 1 +FLAGS (\\Flagged)")
    local = sorted(f for f in maildir_files(maildir / "INBOX") if "/cur/" in f or "/new/" in f)
    target = [f for f in local if open(f, "rb").read().find(b"INBOX 2") >= 0][0]
    base = os.path.join(os.path.dirname(os.path.dirname(target)), "cur",
                        os.path.basename(target).split(":2,")[0])
    os.rename(target, base + ":2,S")
    mbsync(str(rc))
    flagged = [f for f in maildir_files(maildir / "INBOX")
               if re.search(r":2,[A-Z]*F", f)]
    assert len(flagged) == 1 and b"INBOX 0" in open(flagged[0], "rb").read()
    c.ok("NOOP")  # the flag change of the other session is reported here
    untagged, _ = c.ok("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    seen = [u for u in untagged if b"\\Seen" in u]
    assert len(seen) == 1 and b"INBOX 2" in seen[0], untagged
    # a message deleted locally is expunged on the server
    os.unlink(flagged[0])
    mbsync(str(rc))
    untagged, _ = c.ok("NOOP")
    assert b"* 1 EXPUNGE\r\n" in untagged
    c.close()


def curl(*args):
    p = subprocess.run(["curl", "-sS", "--max-time", "30"] + list(args), capture_output=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    return p.stdout


def test_curl_imap_imaps_and_starttls(imap):
    sent = deliver(imap, subject="for curl", body="curl body line\r\n")
    deliver(imap, subject="second")
    stored = imap.messages(USER)[0]
    assert stored.endswith(sent)
    cred = "%s:%s" % (USER, PASSWORD)
    url = "imap://127.0.0.1:%d/INBOX;UID=1" % imap.imap_port
    assert curl("-u", cred, url) == stored
    # STARTTLS required (curl --ssl-reqd) and implicit TLS
    assert curl("-k", "--ssl-reqd", "-u", cred, url) == stored
    assert curl("-k", "-u", cred, "imaps://127.0.0.1:%d/INBOX;UID=1" % imap.imaps_port) == stored
    # a custom command: SEARCH
    out = curl("-u", cred, "-X", "SEARCH SUBJECT second",
               "imap://127.0.0.1:%d/INBOX" % imap.imap_port)
    assert out.strip() == b"* SEARCH 2"
    # the mailbox list
    out = curl("-u", cred, "imap://127.0.0.1:%d/" % imap.imap_port)
    assert b'"INBOX"' in out or b" INBOX" in out
    # a wrong password fails
    p = subprocess.run(["curl", "-sS", "-u", USER + ":wrong", url], capture_output=True,
                       timeout=60)
    assert p.returncode != 0

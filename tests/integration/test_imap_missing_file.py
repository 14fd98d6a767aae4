"""A message whose file is gone (deleted behind the server's back, a disk error) must not
hang the client: FETCH of a section that needs the file sends NIL for it (the section is an
nstring, RFC 9051 7.5.2) and ends in NO [SERVERBUG]; the session goes on. Before, the literal's
size was announced and its bytes never came, so the client waited forever."""
import glob
import os

import pytest

from conftest import free_port
from test_imap_protocol import Raw, USER, deliver


@pytest.fixture
def imap(yubin_factory):
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def test_fetch_of_a_missing_file_answers(imap):
    deliver(imap, subject="gone", body="the body that is lost\r\n" * 20)
    deliver(imap, subject="kept", body="this one stays\r\n")
    files = glob.glob(os.path.join(imap.data_dir, "mail", USER.lower(), "msg", "*"))
    assert len(files) == 2
    # the file of message 1 by its content (both may carry the same mtime)
    gone = [f for f in files if b"the body that is lost" in open(f, "rb").read()]
    assert len(gone) == 1, files
    os.unlink(gone[0])
    c = Raw(imap.imap_port, timeout=10)  # a hang is a socket timeout, not a pass
    c.login()
    c.ok("EXAMINE INBOX")
    untagged, tagged = c.cmd("FETCH 1:2 (BODY.PEEK[TEXT])")
    assert tagged.split()[1] == b"NO" and b"[SERVERBUG]" in tagged, tagged
    fetched = [u for u in untagged if b" FETCH " in u]
    assert len(fetched) == 2, untagged
    assert fetched[0].startswith(b"* 1 FETCH (BODY[TEXT] NIL)"), fetched[0]
    assert b"this one stays" in fetched[1]
    c.ok("NOOP")  # the session is in step with the client
    untagged, _ = c.ok("FETCH 2 (BODY.PEEK[TEXT])")
    assert b"this one stays" in untagged[0]
    c.close()

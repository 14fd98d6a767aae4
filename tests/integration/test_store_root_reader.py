"""A process running as root that reads an account's index.db (an admin's sqlite3, a backup or
monitoring script; the SMTP benchmark counts messages this way) while the server, running as
run_as_user, opens the account. SQLite creates a missing index.db-wal/-shm as the opener, then
chowns it to the database's owner; a server connection opening it in between got it read-only
for its whole life ("BEGIN IMMEDIATE failed: attempt to write a readonly database", code 8)
and deliveries to the account failed with 451 (src/store/store_schema.c store_schema_open).

The reader here runs under strace with a delay injected before its fchown, which holds that
window open long enough to deliver inside it every time. Needs root, strace and the user
nobody; skipped otherwise."""
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import DOMAIN, Server

STRACE = shutil.which("strace")
FCHOWN_DELAY_US = 400000  # per fchown: the -wal and the -shm each

# opens index.db read-only (as root) and reads it, like bench/lib/yubin.py count_messages
READER = ("import sqlite3, sys\n"
          "db = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True, timeout=5)\n"
          "db.execute('SELECT count(*) FROM messages').fetchone()\n"
          "db.close()\n")


def _nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


pytestmark = pytest.mark.skipif(os.geteuid() != 0 or STRACE is None or _nobody() is None,
                                reason="needs root, strace and the user nobody")


@pytest.fixture
def nobody_server():
    """A server that drops to nobody, in a directory nobody can reach (pytest's is 0700)."""
    work = tempfile.mkdtemp(prefix="yubin-root-reader-", dir="/tmp")
    os.chmod(work, 0o755)
    users = ["u%d@%s" % (i, DOMAIN) for i in range(1, 4)]
    s = Server(work, config={"run_as_user": "nobody"}, users=users, aliases={})
    yield s, users
    problems = s.stop()
    shutil.rmtree(work, ignore_errors=True)
    assert not problems, "\n".join(problems)


def _slow_root_reader(index):
    return subprocess.Popen([STRACE, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fchown",
                             "-e", "inject=fchown:delay_enter=%d" % FCHOWN_DELAY_US,
                             sys.executable, "-c", READER, index],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_root_owned(path, timeout):
    """True once path exists owned by root: the reader created it and waits before fchown."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.stat(path).st_uid == 0:
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    return False


def _deliver(s, rcpt):
    """The SMTP reply code to DATA of one message to rcpt (250 = stored)."""
    c = smtplib.SMTP(s.host, s.smtp_port, timeout=30)
    try:
        c.ehlo("client.example.test")
        c.mail("sender@sender.test")
        c.rcpt(rcpt)
        code, _ = c.data(b"Subject: root reader\r\n\r\nhello\r\n")
        return code
    finally:
        c.quit()


def _wal_paths(s, account):
    index = os.path.join(s.store.account_dir(account), "index.db")
    return index, index + "-wal", index + "-shm"


def test_delivery_while_root_reader_opens_new_accounts(nobody_server):
    """Accounts made by `yubin user add` before serve started (the benchmark's start)."""
    s, users = nobody_server
    s.start()
    for u in users:
        index, wal, _ = _wal_paths(s, u)
        reader = _slow_root_reader(index)
        try:
            # with the fix the store made the WAL itself: the reader creates nothing
            _wait_root_owned(wal, 1.0)
            assert _deliver(s, u) == 250, s.log_tail()
        finally:
            reader.wait(timeout=30)
        assert s.count(u) == 1
    assert "readonly" not in s.log() and "read-only" not in s.log(), s.log_tail()


def test_read_only_connection_is_not_kept(nobody_server):
    """An account whose WAL files are missing (one made before the store kept them): a
    delivery inside the window may get a temporary failure, but the handle must not stay
    read-only: the next delivery, after the window, is stored."""
    s, users = nobody_server
    u = users[0]
    index, wal, shm = _wal_paths(s, u)
    for p in (wal, shm):
        if os.path.exists(p):
            os.unlink(p)
    s.start()
    reader = _slow_root_reader(index)
    try:
        assert _wait_root_owned(wal, 5.0), "the reader did not create the WAL"
        code = _deliver(s, u)
        assert code in (250, 451), code
    finally:
        reader.wait(timeout=30)
    assert os.stat(wal).st_uid != 0
    assert _deliver(s, u) == 250, s.log_tail()
    assert s.count(u) == (2 if code == 250 else 1)

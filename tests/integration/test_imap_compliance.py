"""Dovecot imaptest's scripted compliance tests against yubin's IMAP server: one test case
per group (test id = group name), run by our interpreter tests/integration/imaptest/runner.py.
Groups whose `capabilities:` yubin does not announce are skipped, as imaptest does.

Part of `make test`; the test files come from
$IMAPTEST_TESTS (default <repo>/../shared/imaptest-tests/tests) and the cases are skipped
with a reason when they are absent. A server without IMAP (no listener) FAILS."""
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imaptest"))
from conftest import PASSWORD, free_port  # noqa: E402
import runner  # noqa: E402
from scriptparse import list_tests  # noqa: E402

USER = "alice@example.test"
TESTS_DIR = runner.tests_dir()
GROUPS = list_tests(TESTS_DIR) if os.path.isdir(TESTS_DIR) else ["(no imaptest tests)"]



def _wait_imap(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            s = socket.create_connection((host, port), timeout=2)
            s.settimeout(2)
            data = s.recv(200)
            s.close()
            if data.startswith(b"* OK") or data.startswith(b"* PREAUTH"):
                return
            last = "greeting %r" % data[:80]
        except OSError as e:
            last = repr(e)
        time.sleep(0.05)
    pytest.fail("yubin IMAP not serving on %s:%d (%s)" % (host, port, last), pytrace=False)


@pytest.mark.parametrize("group", GROUPS)
def test_imaptest_group(yubin_factory, group):
    if not os.path.isdir(TESTS_DIR):
        pytest.skip("imaptest test files not found at %s (set IMAPTEST_TESTS)" % TESTS_DIR)
    port = free_port()
    srv = yubin_factory(config={"imap_listen": "127.0.0.1:%d" % port})
    _wait_imap(srv.host, port)
    r = runner.run_test(srv.host, port, USER, PASSWORD, os.path.join(TESTS_DIR, group),
                        timeout=5.0)
    if r.status == "skip":
        pytest.skip(r.reason)
    assert r.passed, r.report()

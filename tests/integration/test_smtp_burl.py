"""BURL (RFC 4468) on submission: after AUTH, EHLO offers "BURL imap"; "BURL url LAST"
takes the message from a URLAUTH-authorized URL (submit+ the authenticated user) of the
local store, as a BDAT chunk: a draft stored over IMAP goes to a local recipient and to a
remote one without being uploaded again. A URL for another user, or a wrong one, is 554."""
import re
import smtplib

import pytest

from conftest import PASSWORD, free_port
from helpers import wait_until
from relay_helpers import (dns_factory, fake_smtp_factory, free_port_on,  # noqa: F401
                           make_domain_server)
from smtpraw import tls_client_context
from test_imap_protocol import Raw

A_IP, MX1 = "127.0.0.2", "127.0.0.5"
DRAFT = (b"From: user1@a.test\r\nTo: user3@a.test, x@two.test\r\nSubject: from drafts\r\n"
         b"\r\nsent by BURL\r\n")


@pytest.fixture
def a(yubin_factory, dns_factory):
    port = free_port_on([A_IP, MX1])
    dns = dns_factory(mx=[("two.test", "mx1.two.test", 10)], hosts=[("mx1.two.test", MX1)])
    srv = make_domain_server(yubin_factory, A_IP, "a.test", port, dns,
                             ["user1@a.test", "user3@a.test"],
                             extra={"imap_listen": "127.0.0.1:%d" % free_port()})
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


def draft_url(a, access="submit+user1@a.test"):
    c = Raw(a.imap_port)
    c.login("user1@a.test")
    _, tagged = c.ok(b"APPEND Drafts {%d+}\r\n" % len(DRAFT) + DRAFT)
    uid = int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1))
    untagged, _ = c.ok('GENURLAUTH "imap://user1@a.test/Drafts/;uid=%d;urlauth=%s" INTERNAL'
                       % (uid, access))
    return re.match(rb'\* GENURLAUTH "?([^"\r]+)"?', untagged[0]).group(1).decode()


def flip_last(url):
    return url[:-1] + ("0" if url[-1] != "0" else "1")


def login(a):
    s = smtplib.SMTP(a.host, a.submission_port, local_hostname="client.a.test", timeout=30)
    s.ehlo()
    s.starttls(context=tls_client_context())
    s.ehlo()
    assert s.has_extn("burl") and s.esmtp_features["burl"] == ""
    s.login("user1@a.test", PASSWORD)
    s.ehlo()
    assert s.esmtp_features["burl"].strip() == "imap"
    return s


def inbox_subjects(a, user):
    c = Raw(a.imap_port)
    c.login(user)
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject)])")
    return [u for u in untagged if b"FETCH" in u]


def test_burl_sends_a_draft_locally_and_remotely(a, fake_smtp_factory):
    fake = fake_smtp_factory(MX1, a.smtp_port)
    url = draft_url(a)
    s = login(a)
    assert s.docmd("MAIL", "FROM:<user1@a.test>")[0] == 250
    assert s.docmd("RCPT", "TO:<user3@a.test>")[0] == 250
    assert s.docmd("RCPT", "TO:<x@two.test>")[0] == 250
    code, text = s.docmd("BURL", url + " LAST")
    assert code == 250, text
    s.quit()
    assert wait_until(lambda: len(fake.messages) == 1, timeout=20), a.log_tail()
    assert b"sent by BURL" in fake.messages[0]["data"]
    got = inbox_subjects(a, "user3@a.test")
    assert len(got) == 1 and b"from drafts" in got[0]


def test_burl_refuses_foreign_or_bad_urls(a):
    s = login(a)
    for url in (draft_url(a, access="user+user1@a.test"),   # not for the submit server
                flip_last(draft_url(a))):                    # wrong token
        assert s.docmd("MAIL", "FROM:<user1@a.test>")[0] == 250
        assert s.docmd("RCPT", "TO:<user3@a.test>")[0] == 250
        code, text = s.docmd("BURL", url + " LAST")
        assert code == 554 and b"5.6.6" in text, text
    s.quit()


def test_burl_mixes_with_bdat_and_keeps_sequence(a):
    url = draft_url(a)
    s = login(a)
    # BURL before RCPT: the BDAT sequence error, nothing else
    assert s.docmd("MAIL", "FROM:<user1@a.test>")[0] == 250
    code, _ = s.docmd("BURL", url + " LAST")
    assert code == 503
    # a BDAT chunk, then the URL as the last chunk: one message, in that order
    assert s.docmd("MAIL", "FROM:<user1@a.test>")[0] == 250
    assert s.docmd("RCPT", "TO:<user3@a.test>")[0] == 250
    s.send(b"BDAT 12\r\nX-Extra: 1\r\n")
    assert s.getreply()[0] == 250
    code, text = s.docmd("BURL", url + " LAST")
    assert code == 250, text
    s.quit()
    c = Raw(a.imap_port)
    c.login("user3@a.test")
    c.ok("SELECT INBOX")
    untagged, _ = c.ok("FETCH 1 BODY.PEEK[]")
    body = untagged[0]
    assert b"X-Extra: 1\r\n" in body and b"sent by BURL" in body
    assert body.index(b"X-Extra: 1") < body.index(b"Subject: from drafts")

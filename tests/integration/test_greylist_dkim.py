"""Greylisting and DKIM (docs/guards.md "Greylisting"): a sender domain whose DKIM signature
verified on a message that passed greylisting is a known signer; a new triplet from such a
domain is not refused at RCPT but decided at end of data, where a DKIM pass of a known signer
lets it through and anything else gets the greylisting 451. DNS from dnsmasq, signatures
from dkimpy (the zone of test_mailauth_inbound.py)."""
import smtplib
import time

import pytest

from test_mailauth_inbound import GOOD_IP, RCPT, make_server, message, sign, zone  # noqa: F401

pytest.importorskip("dkim")


def attempt(srv, msg, mail_from):
    """(RCPT code, data code or None)."""
    c = smtplib.SMTP(srv.host, srv.smtp_port, local_hostname="client.test",
                     source_address=(GOOD_IP, 0), timeout=60)
    try:
        c.ehlo()
        assert c.mail(mail_from)[0] == 250
        code, _ = c.rcpt(RCPT)
        if code != 250:
            return code, None
        try:
            return code, c.data(msg)[0]
        except smtplib.SMTPDataError as e:
            return code, e.smtp_code
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass


def test_dkim_pass_of_known_signer_skips_greylisting(yubin_factory, zone):  # noqa: F811
    srv = make_server(yubin_factory, zone["dns"].resolver, greylist="yes",
                      greylist_delay="2s", greylist_auto_whitelist="0")
    signed = sign(zone, message(from_hdr="<a@monitor.test>"), "monitor.test", algs=("rsa",))
    t0 = time.monotonic()
    # an unknown domain: greylisted at RCPT; the retry after the delay passes, and its
    # DKIM pass makes monitor.test a known signer
    assert attempt(srv, signed, "a@monitor.test") == (451, None)
    time.sleep(max(0, 2.2 - (time.monotonic() - t0)))
    assert attempt(srv, signed, "a@monitor.test") == (250, 250)
    # a new triplet from the known signer: through at once, decided by its DKIM pass
    signed_b = sign(zone, message(from_hdr="<b@monitor.test>"), "monitor.test", algs=("rsa",))
    assert attempt(srv, signed_b, "b@monitor.test") == (250, 250)
    # the same domain without a valid signature: greylisted at end of data
    assert attempt(srv, message(from_hdr="<c@monitor.test>"), "c@monitor.test") == (250, 451)
    # another domain that never passed: greylisted at RCPT as before
    other = sign(zone, message(from_hdr="<d@none.test>"), "none.test", algs=("rsa",))
    assert attempt(srv, other, "d@none.test") == (451, None)
    # the known signers are kept across a restart (greylist.db)
    srv.restart()
    signed_e = sign(zone, message(from_hdr="<e@monitor.test>"), "monitor.test", algs=("rsa",))
    assert attempt(srv, signed_e, "e@monitor.test") == (250, 250)
    assert "greylist skipped" in srv.log()

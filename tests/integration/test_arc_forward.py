"""ARC sealing when yubin forwards (issue 8, RFC 8617 5.1): mail from outside that reaches an
alias pointing to another domain leaves with yubin's ARC set (the forwarding domain's RSA key
that `yubin dkim keygen` made), which dkimpy's ARC verifier validates; mail that was not
checked (our own submission) is not sealed, and a message altered after sealing fails."""
import smtplib

import pytest

from test_dkim_sign import env, msg, relayed  # noqa: F401  (the fixture and helpers)
from relay_helpers import fake_smtp_factory, default_data_template  # noqa: F401
from test_dkim_sign import dnsfunc_for, submit

dkim = pytest.importorskip("dkim")

CHECKS = {"mailauth_checks": "yes", "mailauth_timeout": "2s"}


def forward_setup(env):
    a, sink, dns = env(extra=CHECKS, start=False)
    a.cli("alias", "add", "fwd@a.test", "x@remote.test")
    from relay_helpers import start_ready
    start_ready(a)
    return a, sink, dns


def arc_verdict(data, records):
    cv, results, reason = dkim.arc_verify(data, dnsfunc=dnsfunc_for(records))
    return cv, reason


def test_forwarded_mail_is_arc_sealed_and_validates(env):  # noqa: F811
    a, sink, dns = forward_setup(env)
    s = smtplib.SMTP(a.host, a.smtp_port, local_hostname="mx.sender.test", timeout=30)
    s.sendmail("someone@sender.test", ["fwd@a.test"],
               msg(frm="Someone <someone@sender.test>", to="fwd@a.test", subject="forward me"))
    s.quit()
    data = relayed(sink)
    assert b"ARC-Seal: i=1;" in data.replace(b"\r\n\t", b" ").replace(b"\r\n ", b" "), data[:800]
    assert b"d=a.test" in data
    cv, reason = arc_verdict(data, dns.records)
    assert cv == b"pass", reason
    # the AAR carries what we saw at reception
    assert b"ARC-Authentication-Results: i=1; mx.a.test;" in data
    assert "ARC-sealed for a.test (cv=none)" in a.log()
    # a hop after us that changes the body breaks our AMS
    cv, reason = arc_verdict(data.replace(b"leaves  signed", b"leaves  changed"), dns.records)
    assert cv == b"fail"


def test_our_own_submission_is_not_sealed(env):  # noqa: F811
    a, sink, dns = forward_setup(env)
    submit(a, "user1@a.test", "fwd@a.test", msg(to="fwd@a.test"))
    data = relayed(sink)
    assert b"ARC-Seal" not in data
    assert b"DKIM-Signature" in data

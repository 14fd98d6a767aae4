"""rspamd through its milter proxy (docs/filters.md), no Redis: a real-world milter that
answers no step but end of message (every SMFIP_NR_* flag), inserts and changes headers and
rejects with SMFIR_REPLYCODE. rspamd starts once for the module."""
import smtplib

import pytest

from filterd import Rspamd, have

pytestmark = pytest.mark.skipif(not have("rspamd"), reason="rspamd not installed")

GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


@pytest.fixture(scope="module")
def rspamd():
    r = Rspamd()
    yield r
    r.stop()


def msg(subject, body):
    return (b"From: s@client.example.test\r\nTo: alice@example.test\r\nSubject: "
            + subject + b"\r\nDate: Thu, 03 Dec 2026 03:00:00 +0000\r\n"
            b"Message-ID: <r1@client.example.test>\r\n\r\n" + body)


def test_gtube_rejected_normal_delivered(yubin_factory, rspamd):
    server = yubin_factory(config={"smtpd_milters": "inet:127.0.0.1:%d" % rspamd.port})
    with server.smtp() as s:
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("s@client.example.test", ["alice@example.test"],
                       msg(b"spam", GTUBE + b"\r\n"))
    assert (e.value.smtp_code, e.value.smtp_error) == (554, b"5.7.1 Gtube pattern"), rspamd.log()[-3000:]
    assert server.count("alice@example.test") == 0
    with server.smtp() as s:
        s.sendmail("s@client.example.test", ["alice@example.test"],
                   msg(b"hello", b"A normal message about the meeting tomorrow.\r\n"))
    stored = server.messages("alice@example.test")
    assert len(stored) == 1
    head = stored[0].split(b"\r\n\r\n")[0]
    assert b"\r\nX-Spamd-Result: default: False" in head, head
    assert b"\r\nX-Rspamd-Action: no action" in head, head
    assert b"\r\nX-Rspamd-Server: " in head, head
    # the authserv-id comes from {daemon_name} (myhostname)
    assert b"\r\nAuthentication-Results: mx.example.test" in head, head

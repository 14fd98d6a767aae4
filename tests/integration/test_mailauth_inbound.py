"""Inbound mail authentication on port 25 (the "mailauth" stage, src/smtp/smtp_mailauth.c):
SPF, DKIM and DMARC against records that dnsmasq serves on loopback, messages signed by
dkimpy (rsa-sha256 and ed25519-sha256) and sent from distinct loopback addresses (127.0.0.10
is in the test domains' SPF records, 127.0.0.20 is not). The Authentication-Results field is
read back over IMAP and parsed with python3-authres; the verdicts are compared with
python3-authheaders'. Everything offline."""
import base64
import imaplib
import os
import smtplib
import socket
import subprocess

import pytest

from conftest import HOSTNAME, PASSWORD, free_port
from helpers import wait_until
from relay_helpers import Dnsmasq
from smtpraw import tls_client_context

dkim = pytest.importorskip("dkim")
nacl_signing = pytest.importorskip("nacl.signing")
authres = pytest.importorskip("authres")
authheaders = pytest.importorskip("authheaders")

GOOD_IP = "127.0.0.10"  # listed in every test domain's SPF record
BAD_IP = "127.0.0.20"   # listed nowhere
RCPT = "alice@example.test"
SPF = "v=spf1 ip4:%s -all" % GOOD_IP
# the From: domains and their DMARC records (none.test has none)
DMARC = {
    "reject.test": "v=DMARC1; p=reject",
    "quarantine.test": "v=DMARC1; p=quarantine",
    "monitor.test": "v=DMARC1; p=none",
    # for the comparison with authheaders, whose suffix list lacks the implicit "*" rule
    # (RFC 7489 3.2 via the PSL algorithm) that makes "test" a public suffix: names under a
    # listed suffix, served by dnsmasq only (everything else under .com is NXDOMAIN); no
    # hyphen: authheaders 0.15 cuts a From: domain at its first "-"
    "monitoryubin.com": "v=DMARC1; p=none",
}
DOMAINS = list(DMARC) + ["none.test", "otheryubin.com"]


def split255(s):
    return [s[i:i + 255] for i in range(0, len(s), 255)]


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    """Keys for every domain, the TXT records, and dnsmasq serving them."""
    d = tmp_path_factory.mktemp("mailauth")
    rsa = str(d / "rsa.pem")
    # -traditional: dkimpy reads only PKCS#1 RSA keys
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", rsa, "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", rsa, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    with open(rsa, "rb") as f:
        rsa_priv = f.read()
    short = str(d / "rsa768.pem")
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", short, "768"], check=True,
                   capture_output=True)
    short_der = subprocess.run(["openssl", "rsa", "-in", short, "-pubout", "-outform", "DER"],
                               check=True, capture_output=True).stdout
    with open(short, "rb") as f:
        short_priv = f.read()
    ed = nacl_signing.SigningKey.generate()
    txt = {}
    for dom in DOMAINS:
        txt[dom] = SPF
        txt["r2048._domainkey." + dom] = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
        txt["ed._domainkey." + dom] = ("v=DKIM1; k=ed25519; p=" +
                                       base64.b64encode(ed.verify_key.encode()).decode())
        txt["r768._domainkey." + dom] = ("v=DKIM1; k=rsa; p=" +
                                         base64.b64encode(short_der).decode())
        if dom in DMARC:
            txt["_dmarc." + dom] = DMARC[dom]
    extra = ["--txt-record=%s,%s" % (name, ",".join(split255(v))) for name, v in txt.items()]
    dns = Dnsmasq(str(d), extra=extra + ["--local=/com/"])
    yield {"rsa": rsa_priv, "rsa768": short_priv, "ed_seed": base64.b64encode(ed.encode()), "txt": txt, "dns": dns}
    dns.stop()


def dnsfunc_for(zone):
    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return zone["txt"].get(name.rstrip("."))
    return dnsfunc


def make_server(yubin_factory, resolver, **config):
    settings = {"mailauth_checks": "yes", "dns_resolvers": resolver,
                "mynetworks": "127.0.0.1/32", "imap_listen": "127.0.0.1:%d" % free_port(),
                "mailauth_timeout": "3s"}
    settings.update(config)
    srv = yubin_factory(config=settings)
    srv.imap_port = int(srv.settings["imap_listen"].rsplit(":", 1)[1])
    return srv


@pytest.fixture
def server(yubin_factory, zone):
    return make_server(yubin_factory, zone["dns"].resolver)


def message(from_hdr="Sender <user@reject.test>", subject="hello", extra=b"", body=None):
    hdr = b""
    if from_hdr is not None:
        hdr += b"From: " + from_hdr.encode() + b"\r\n"
    hdr += (b"To: " + RCPT.encode() + b"\r\nSubject: " + subject.encode() +
            b"\r\nDate: Thu, 03 Dec 2026 01:02:03 +0000\r\nMessage-ID: <" +
            os.urandom(6).hex().encode() + b"@test>\r\n" + extra)
    return hdr + b"\r\n" + (body if body is not None else b"Hello there.\r\n" * 20)


def sign(zone, msg, domain, algs=("rsa", "ed25519")):
    for alg in algs:
        if alg == "rsa":
            priv, sel, name = zone["rsa"], b"r2048", b"rsa-sha256"
        elif alg == "rsa-sha1":
            priv, sel, name = zone["rsa"], b"r2048", b"rsa-sha1"
        elif alg == "rsa768":
            priv, sel, name = zone["rsa768"], b"r768", b"rsa-sha256"
        else:
            priv, sel, name = zone["ed_seed"], b"ed", b"ed25519-sha256"
        sig = dkim.sign(msg, sel, domain.encode(), priv, canonicalize=(b"relaxed", b"relaxed"),
                        signature_algorithm=name)
        msg = sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + msg
    return msg


def send(srv, msg, mail_from, ip=GOOD_IP, helo="client.test"):
    """Sends over port 25 from ip; returns (code, text) of the reply to the data."""
    c = smtplib.SMTP(srv.host, srv.smtp_port, local_hostname=helo, source_address=(ip, 0),
                     timeout=60)
    try:
        c.ehlo()
        code, text = c.mail(mail_from)
        assert code == 250, text
        code, text = c.rcpt(RCPT)
        assert code == 250, text
        code, text = c.data(msg)
        return code, text.decode()
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()
    finally:
        try:
            c.quit()
        except smtplib.SMTPException:
            pass


def imap_fetch(srv, mailbox="INBOX"):
    """Every message of mailbox, over IMAP."""
    c = imaplib.IMAP4(srv.host, srv.imap_port, timeout=30)
    try:
        c.login(RCPT, PASSWORD)
        typ, _ = c.select('"%s"' % mailbox, readonly=True)
        assert typ == "OK", mailbox
        typ, data = c.search(None, "ALL")
        out = []
        for n in data[0].split():
            typ, d = c.fetch(n, "(RFC822)")
            out.append(d[0][1])
        return out
    finally:
        c.logout()


def our_ar(raw):
    """The Authentication-Results fields of a stored message, unfolded, top first."""
    hdr = raw.split(b"\r\n\r\n", 1)[0].decode()
    fields, cur = [], None
    for line in hdr.split("\r\n"):
        if line[:1] in (" ", "\t") and cur is not None:
            cur += line
            continue
        if cur is not None:
            fields.append(cur)
        cur = line
    fields.append(cur)
    return [f.split(":", 1)[1].strip() for f in fields
            if f.lower().startswith("authentication-results:")]


def parsed(raw):
    ars = our_ar(raw)
    mine = [a for a in ars if a.split(";")[0].strip() == HOSTNAME]
    assert len(mine) == 1, ars
    return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + mine[0])


def props(result):
    return {"%s.%s" % (p.type, p.name): p.value for p in result.properties}


def results(ar, method):
    return [r for r in ar.results if r.method == method]


def delivered_one(srv, mailbox="INBOX"):
    assert wait_until(lambda: srv.store.count(RCPT, mailbox) == 1, timeout=20), srv.log_tail()
    msgs = imap_fetch(srv, mailbox)
    assert len(msgs) == 1
    return msgs[0]


def test_signed_message_passes_spf_dkim_dmarc(server, zone):
    msg = sign(zone, message(), "reject.test")
    code, text = send(server, msg, "user@reject.test")
    assert code == 250, text
    ar = parsed(delivered_one(server))
    assert str(ar.authserv_id) == HOSTNAME
    (spf,) = results(ar, "spf")
    assert spf.result == "pass" and spf.smtp_mailfrom == "user@reject.test"
    dk = results(ar, "dkim")
    assert [r.result for r in dk] == ["pass", "pass"]
    assert sorted(r.header_s for r in dk) == ["ed", "r2048"]
    assert all(r.header_d == "reject.test" and len(props(r)["header.b"]) == 8 for r in dk)
    (dm,) = results(ar, "dmarc")
    assert dm.result == "pass" and props(dm)["header.from"] == "reject.test"
    assert wait_until(lambda: "spf=pass dkim=pass,pass dmarc=pass" in server.log())


def test_bdat_chunks_and_two_transactions(server, zone):
    # BDAT chunks cut inside the header and the body (the header's end is found across
    # chunks, the body hashed as it comes), then a second, failing transaction in the same
    # session: each transaction gets its own verdicts
    msg = sign(zone, message(from_hdr="<user@reject.test>"), "reject.test")
    cuts = [0, 40, msg.index(b"\r\n\r\n") + 1, len(msg) - 7, len(msg)]
    s = socket.create_connection((server.host, server.smtp_port), timeout=30,
                                 source_address=(GOOD_IP, 0))
    f = s.makefile("rb")

    def reply():
        while True:
            line = f.readline()
            if line[3:4] != b"-":
                return line

    reply()
    s.sendall(b"EHLO client.test\r\n")
    reply()
    s.sendall(b"MAIL FROM:<user@reject.test>\r\n")
    assert reply().startswith(b"250")
    s.sendall(b"RCPT TO:<%s>\r\n" % RCPT.encode())
    assert reply().startswith(b"250")
    for i in range(len(cuts) - 1):
        chunk = msg[cuts[i]:cuts[i + 1]]
        last = b" LAST" if i == len(cuts) - 2 else b""
        s.sendall(b"BDAT %d%s\r\n" % (len(chunk), last) + chunk)
        assert reply().startswith(b"250")
    s.sendall(b"MAIL FROM:<user@reject.test>\r\n")
    assert reply().startswith(b"250")
    s.sendall(b"RCPT TO:<%s>\r\n" % RCPT.encode())
    assert reply().startswith(b"250")
    s.sendall(b"DATA\r\n")
    assert reply().startswith(b"354")
    # unsigned: SPF passes (127.0.0.10) and aligns, so DMARC passes without DKIM
    s.sendall(message(from_hdr="<user@reject.test>", subject="second") + b".\r\n")
    assert reply().startswith(b"250")
    s.sendall(b"QUIT\r\n")
    s.close()
    assert wait_until(lambda: server.store.count(RCPT) == 2, timeout=20), server.log_tail()
    msgs = imap_fetch(server)
    first, second = (parsed(m) for m in sorted(msgs, key=lambda m: b"Subject: second" in m))
    assert [r.result for r in results(first, "dkim")] == ["pass", "pass"]
    assert [r.result for r in results(second, "dkim")] == ["none"]
    assert results(second, "spf")[0].result == "pass"
    assert results(second, "dmarc")[0].result == "pass"


def test_spf_fail_but_dkim_aligned_passes_dmarc(server, zone):
    msg = sign(zone, message(), "reject.test", algs=("ed25519",))
    code, text = send(server, msg, "user@reject.test", ip=BAD_IP)
    assert code == 250, text
    ar = parsed(delivered_one(server))
    assert results(ar, "spf")[0].result == "fail"
    assert [r.result for r in results(ar, "dkim")] == ["pass"]
    assert results(ar, "dmarc")[0].result == "pass"


@pytest.mark.parametrize("alg", ["rsa-sha1", "rsa768"])
def test_weak_signatures_fail(server, zone, alg):
    # RFC 8301: rsa-sha1 and RSA keys under 1024 bits are not valid signatures: dkim=fail, so
    # DMARC fails too (SPF is not aligned: another MAIL FROM domain) and p=reject refuses
    msg = sign(zone, message(from_hdr="<user@monitor.test>"), "monitor.test", algs=(alg,))
    code, text = send(server, msg, "user@none.test")
    assert code == 250, text
    ar = parsed(delivered_one(server))
    (dk,) = results(ar, "dkim")
    assert dk.result == "fail", str(ar)
    assert results(ar, "dmarc")[0].result == "fail"


def test_null_sender_checks_helo(server, zone):
    # MAIL FROM:<> : SPF checks the HELO identity (RFC 7208 2.3)
    msg = sign(zone, message(from_hdr="<user@monitor.test>"), "monitor.test")
    code, text = send(server, msg, "", helo="monitor.test")
    assert code == 250, text
    (spf,) = results(parsed(delivered_one(server)), "spf")
    assert spf.result == "pass" and spf.smtp_helo == "monitor.test"


def test_forged_authentication_results_are_removed(server, zone):
    forged = (b"Authentication-Results: " + HOSTNAME.upper().encode() +
              b"; spf=pass smtp.mailfrom=ceo@reject.test;\r\n\tdmarc=pass\r\n"
              b"Authentication-Results: other.test; dkim=pass header.d=x.test\r\n")
    msg = message(from_hdr="<user@monitor.test>", extra=forged)
    code, text = send(server, msg, "user@monitor.test", ip=BAD_IP)
    assert code == 250, text
    raw = delivered_one(server)
    ars = our_ar(raw)
    # ours (fresh, with the real verdicts), the other host's kept, the forged one gone
    assert len(ars) == 2, ars
    assert ars[0].startswith(HOSTNAME + ";") and "spf=fail" in ars[0], ars
    assert ars[1].startswith("other.test;"), ars
    assert b"ceo@reject.test" not in raw
    assert wait_until(lambda: "removed 1 Authentication-Results field" in server.log())


def test_dmarc_reject_is_refused(server, zone):
    code, text = send(server, message(), "user@reject.test", ip=BAD_IP)
    assert code == 550 and "5.7.1" in text and "DMARC" in text, (code, text)
    assert server.store.count(RCPT) == 0
    assert "reject by mailauth" in server.log()


def test_dmarc_reject_not_enforced(yubin_factory, zone):
    srv = make_server(yubin_factory, zone["dns"].resolver, dmarc_enforce="no")
    code, text = send(srv, message(), "user@reject.test", ip=BAD_IP)
    assert code == 250, text
    dm = results(parsed(delivered_one(srv)), "dmarc")[0]
    assert dm.result == "fail"


def test_dmarc_quarantine_goes_to_junk(server, zone):
    msg = message(from_hdr="<user@quarantine.test>")
    code, text = send(server, msg, "user@quarantine.test", ip=BAD_IP)
    assert code == 250, text
    raw = delivered_one(server, "Junk")
    assert results(parsed(raw), "dmarc")[0].result == "fail"
    assert imap_fetch(server, "INBOX") == []
    assert "mailbox=Junk" in server.log()


def test_quarantine_follows_the_junk_special_use(server):
    # the user renamed Junk: quarantined mail goes where \Junk now is (RFC 6154)
    c = imaplib.IMAP4(server.host, server.imap_port, timeout=30)
    c.login(RCPT, PASSWORD)
    typ, _ = c.rename("Junk", "Spam")
    assert typ == "OK"
    typ, data = c.list('""', "Spam")
    assert typ == "OK" and b"\\Junk" in data[0], data
    c.logout()
    code, text = send(server, message(from_hdr="<user@quarantine.test>"), "user@quarantine.test",
                      ip=BAD_IP)
    assert code == 250, text
    delivered_one(server, "Spam")
    assert imap_fetch(server, "INBOX") == []


@pytest.mark.parametrize("from_hdr,expect", [
    (None, "no From:"),
    ("<a@monitor.test>\r\nFrom: <b@monitor.test>", "several From:"),
    ("<a@monitor.test>, <b@monitor.test>", "several addresses"),
], ids=["none", "two-fields", "two-addresses"])
def test_from_rule(server, from_hdr, expect):
    code, text = send(server, message(from_hdr=from_hdr), "user@monitor.test")
    assert code == 550 and "5.7.1" in text, (code, text)
    assert expect.lower() in text.lower(), text
    assert server.store.count(RCPT) == 0


@pytest.fixture
def silent_dns():
    """A UDP 'DNS server' that never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    yield "127.0.0.1:%d" % s.getsockname()[1]
    s.close()


def test_dns_failure_accepts_with_temperror(yubin_factory, silent_dns):
    srv = make_server(yubin_factory, silent_dns, mailauth_timeout="1s")
    code, text = send(srv, message(from_hdr="<user@reject.test>"), "user@reject.test",
                      ip=BAD_IP)
    assert code == 250, text
    ar = parsed(delivered_one(srv))
    assert results(ar, "spf")[0].result == "temperror"
    assert results(ar, "dmarc")[0].result == "temperror"


def test_dns_failure_defers_when_asked(yubin_factory, silent_dns):
    srv = make_server(yubin_factory, silent_dns, mailauth_timeout="1s", dmarc_temperror="defer")
    code, text = send(srv, message(from_hdr="<user@reject.test>"), "user@reject.test",
                      ip=BAD_IP)
    assert code == 451 and "4.7.5" in text, (code, text)
    assert srv.store.count(RCPT) == 0


def test_client_gone_while_lookups_wait(yubin_factory, silent_dns):
    # the session waits at end of data for DNS; the client leaves: the lookups and the timer
    # are dropped with the session (no callback into freed memory: run under ASan too), and
    # the server goes on serving
    srv = make_server(yubin_factory, silent_dns, mailauth_timeout="2s")
    for _ in range(3):
        s = socket.create_connection((srv.host, srv.smtp_port), timeout=10,
                                     source_address=(BAD_IP, 0))
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"EHLO client.test\r\n")
        while f.readline()[3:4] == b"-":
            pass
        s.sendall(b"MAIL FROM:<user@reject.test>\r\nRCPT TO:<%s>\r\nDATA\r\n" % RCPT.encode())
        for _ in range(3):
            f.readline()
        s.sendall(message(from_hdr="<user@reject.test>") + b".\r\n")
        s.close()
    wait_until(lambda: False, timeout=2.5)  # past mailauth_timeout: the timers would fire
    assert srv.alive()
    code, text = send(srv, message(from_hdr="<user@reject.test>"), "user@reject.test", ip=BAD_IP)
    assert code == 250, text
    assert "temperror" in srv.log()


def test_submission_is_not_checked(server):
    c = smtplib.SMTP(server.host, server.submission_port, local_hostname="client.test",
                     timeout=30)
    c.ehlo()
    c.starttls(context=tls_client_context())
    c.ehlo()
    c.login(RCPT, PASSWORD)
    c.sendmail(RCPT, [RCPT], message(from_hdr="<%s>" % RCPT))
    c.quit()
    ar = parsed(delivered_one(server))
    (a,) = results(ar, "auth")
    assert a.result == "pass" and a.smtp_auth == RCPT
    assert not results(ar, "spf") and not results(ar, "dmarc")


def test_mynetworks_is_not_checked(server):
    # 127.0.0.1 is mynetworks here: a message DMARC would refuse (no From:) is delivered
    code, text = send(server, message(from_hdr=None), "user@reject.test", ip="127.0.0.1")
    assert code == 250, text
    raw = delivered_one(server)
    (ar,) = our_ar(raw)
    assert ar.startswith(HOSTNAME + "; none") and "mynetworks" in ar, ar


@pytest.mark.parametrize("case", ["aligned", "unaligned", "subdomain", "no-policy"])
def test_verdicts_agree_with_authheaders(server, zone, case):
    mon, other = "monitoryubin.com", "otheryubin.com"
    if case == "aligned":
        msg = sign(zone, message(from_hdr="<u@%s>" % mon), mon)
    elif case == "unaligned":
        msg = sign(zone, message(from_hdr="<u@%s>" % mon), other)
    elif case == "subdomain":
        msg = sign(zone, message(from_hdr="<u@sub.%s>" % mon), mon)
    else:
        msg = sign(zone, message(from_hdr="<u@%s>" % other), other, algs=("rsa",))
    code, text = send(server, msg, "bounce@none.test", ip=BAD_IP)
    assert code == 250, text
    ours = parsed(delivered_one(server))
    theirs = authres.AuthenticationResultsHeader.parse(
        "Authentication-Results: " + authheaders.authenticate_message(
            msg, HOSTNAME, prev="Authentication-Results: %s; spf=fail smtp.mailfrom=bounce@none.test"
            % HOSTNAME,
            dnsfunc=dnsfunc_for(zone)).split(":", 1)[1])
    # authheaders verifies the top signature only (dkimpy's verify, idx 0)
    assert results(ours, "dkim")[0].result == results(theirs, "dkim")[0].result, \
        (str(ours), str(theirs))
    assert results(ours, "dmarc")[0].result == results(theirs, "dmarc")[0].result, \
        (str(ours), str(theirs))
    expect = {"aligned": "pass", "unaligned": "fail", "subdomain": "pass", "no-policy": "none"}
    assert results(ours, "dmarc")[0].result == expect[case]


def arc_sealed(zone, msg, domain="otheryubin.com", srv_id="mx.forwarder.test"):
    """msg as a forwarder would pass it on: its own Authentication-Results, then an ARC set
    made by dkimpy (dkim.arc_sign) with the rsa key."""
    msg = (b"Authentication-Results: " + srv_id.encode() +
           b"; spf=pass smtp.mailfrom=user@reject.test\r\n" + msg)
    sets = dkim.arc_sign(msg, b"r2048", domain.encode(), zone["rsa"], srv_id.encode())
    return b"".join(h.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for h in sets) + msg


def test_arc_chain_is_validated_and_reported(server, zone):
    msg = arc_sealed(zone, sign(zone, message(), "reject.test", algs=("rsa",)))
    code, text = send(server, msg, "user@reject.test")
    assert code == 250, text
    ar = parsed(delivered_one(server))
    (arc,) = results(ar, "arc")
    assert arc.result == "pass", str(ar)
    assert wait_until(lambda: "arc=pass(i=1)" in server.log())


def test_arc_chain_broken_in_transit_fails(server, zone):
    msg = arc_sealed(zone, sign(zone, message(), "reject.test", algs=("rsa",)))
    # a hop after the sealer changes the body: the AMS of set 1 no longer verifies
    msg = msg.replace(b"Hello there.", b"Hello where.", 1)
    code, text = send(server, msg, "user@reject.test")
    assert code == 250, text
    ar = parsed(delivered_one(server))
    (arc,) = results(ar, "arc")
    assert arc.result == "fail", str(ar)

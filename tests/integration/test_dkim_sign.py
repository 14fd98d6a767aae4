"""Outbound DKIM signing (issue 8, "Outbound signatures"), end to end: mail sent through
authenticated submission, `yubin sendmail` and mynetworks with a From: of mydomains is relayed
to a sink SMTP server with one ed25519-sha256 and one rsa-sha256 signature (relaxed/relaxed,
From/To/Subject/Date oversigned) that dkimpy (python3-dkim) and OpenDKIM (`opendkim -t`)
verify against the records `yubin dkim keygen` printed, and that fail in both once the
message is altered; DSNs are signed for the server's domain; a foreign From:, port-25
inbound mail and `dkim_sign = no` are not signed; a new selector signs only once dnsmasq
serves its record (rotation)."""
import os
import re
import shutil
import signal
import smtplib
import subprocess

import pytest

from conftest import PASSWORD
from helpers import wait_until
from relay_helpers import (Dnsmasq, default_data_template,  # noqa: F401
                           fake_smtp_factory, free_port_on, make_domain_server, sendmail,
                           start_ready, wait_log)
from smtpraw import tls_client_context

dkim = pytest.importorskip("dkim")
pytest.importorskip("nacl")  # dkimpy's ed25519

A_IP, MX1 = "127.0.0.2", "127.0.0.5"
DOMAIN = "a.test"


def msg(frm="User One <user1@a.test>", to="x@remote.test", subject="signed mail",
        body="Hello,\r\n\r\nthis  leaves  signed.  \r\n"):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Thu, 03 Dec 2026 04:00:00 +0000\r\n"
            "Message-ID: <%s@a.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s"
            % (frm, to, subject, abs(hash(subject + body)), body)).encode()


def parse_records(out):
    """{name: [string, ...]} from the zone-file lines `dkim keygen` prints."""
    records = {}
    for m in re.finditer(r'^(\S+)\. IN TXT \((.*?)\)$', out, re.M | re.S):
        records[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    return records


class Dns:
    """dnsmasq serving the sink's MX and a chosen set of key records, restartable on the same
    port with other records (dnsmasq reads TXT records only from its command line)."""

    def __init__(self, workdir, records):
        self.workdir, self.records, self.d = workdir, records, None
        self.port = None

    def serve(self, names):
        extra = ["--txt-record=%s,%s" % (n, ",".join(self.records[n])) for n in names]
        if self.d is not None:
            self.d.stop()
        d = Dnsmasq(self.workdir, mx=[("remote.test", "mx1.remote.test", 10)],
                    hosts=[("mx1.remote.test", MX1)], extra=extra, port=self.port)
        self.d, self.port = d, d.port

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        if self.d is not None:
            self.d.stop()


@pytest.fixture
def env(yubin_factory, fake_smtp_factory, tmp_path):
    """A yubin for a.test (keys s1-ed, s1-rsa published) relaying remote.test to a sink."""
    made = []

    def make(selectors=("s1",), published=None, extra=None, start=True):
        port = free_port_on([A_IP, MX1])
        dns = Dns(str(tmp_path), {})
        # the server needs a resolver in its config before the keys exist: a first dnsmasq
        # without records, then the same port with them
        dns.serve([])
        made.append(dns)
        a = make_domain_server(yubin_factory, A_IP, DOMAIN, port, dns,
                               ["user1@a.test", "user2@a.test"], extra=extra, start=False)
        for sel in selectors:
            out = a.cli("dkim", "keygen", DOMAIN, "--selector", sel).stdout.decode()
            dns.records.update(parse_records(out))
        names = [n for n in dns.records
                 if published is None or n.split(".")[0].rsplit("-", 1)[0] in published]
        dns.serve(names)
        sink = fake_smtp_factory(MX1, port)
        if start:
            start_ready(a)
        return a, sink, dns

    yield make
    for d in made:
        d.stop()


def dnsfunc_for(records):
    def dnsfunc(name, timeout=5):
        name = (name.decode() if isinstance(name, bytes) else name).rstrip(".")
        return "".join(records[name]).encode() if name in records else None
    return dnsfunc


def signatures(data):
    """The DKIM-Signature fields of a message, unfolded, as {tag: value} dicts, top first."""
    hdr = re.sub(r"\r\n[ \t]", " ", data.split(b"\r\n\r\n", 1)[0].decode())
    out = []
    for m in re.finditer(r"^DKIM-Signature:(.*)$", hdr, re.M | re.I):
        value = re.sub(r"\s+", "", m.group(1))
        out.append(dict(t.split("=", 1) for t in value.split(";") if t))
    return out


def dkimpy_verdicts(data, records):
    d = dkim.DKIM(data)
    verdicts = []
    for i in range(len(signatures(data))):
        try:
            verdicts.append(d.verify(idx=i, dnsfunc=dnsfunc_for(records)))
        except dkim.ValidationError:
            verdicts.append(False)
    return verdicts


def opendkim_verdicts(data, records, tmp_path):
    """OpenDKIM's verdicts (the filter's test mode, keys from a TestPublicKeys file):
    [(result, header.a), ...] from the Authentication-Results field it would add."""
    keyfile = tmp_path / "opendkim-keys"
    keyfile.write_text("".join("%s %s\n" % (n, "".join(s)) for n, s in records.items()))
    conf = tmp_path / "opendkim.conf"
    conf.write_text("Mode v\nSyslog no\nAlwaysAddARHeader yes\nTestPublicKeys %s\n" % keyfile)
    path = tmp_path / "msg.eml"
    path.write_bytes(data)
    r = subprocess.run(["opendkim", "-x", str(conf), "-vv", "-t", str(path)],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "INSHEADER" in out, out
    return sorted(re.findall(r"dkim=(\w+)[^;]*?header\.a=(\S+)", out), key=lambda v: v[1])


def submit(a, frm, to, data):
    s = smtplib.SMTP(a.host, a.submission_port, local_hostname="client.a.test", timeout=30)
    s.ehlo()
    s.starttls(context=tls_client_context())
    s.ehlo()
    s.login("user1@a.test", PASSWORD)
    s.sendmail(frm, [to], data)
    s.quit()


def relayed(sink, n=1):
    assert wait_until(lambda: len(sink.messages) >= n, timeout=30)
    return sink.messages[n - 1]["data"]


def check_signed(data, records, selector="s1"):
    sigs = signatures(data)
    assert sorted(s["a"] for s in sigs) == ["ed25519-sha256", "rsa-sha256"], sigs
    for s in sigs:
        assert s["d"] == DOMAIN and s["c"] == "relaxed/relaxed", s
        assert s["s"] == selector + ("-ed" if s["a"].startswith("ed") else "-rsa"), s
        h = s["h"].lower().split(":")
        for name in ("from", "to", "subject", "date"):  # oversigned: one more than present
            assert h.count(name) == 2, h
        for name in ("message-id", "mime-version", "content-type"):
            assert name in h, h
        assert "received" not in h and "dkim-signature" not in h, h
    assert dkimpy_verdicts(data, records) == [True, True]


def alter_body(data):
    assert b"leaves" in data
    return data.replace(b"leaves", b"leaved", 1)


def alter_subject(data):
    assert b"Subject: signed" in data
    return data.replace(b"Subject: signed", b"Subject: Signed", 1)


def test_submission_is_signed_and_verifies_in_dkimpy_and_opendkim(env, tmp_path):
    a, sink, dns = env()
    submit(a, "user1@a.test", "x@remote.test", msg())
    data = relayed(sink)
    check_signed(data, dns.records)
    # the signatures cover the message as it went out: above our Received:, not covering it
    assert data.index(b"DKIM-Signature:") < data.index(b"Received: from client.a.test")
    for alter in (alter_body, alter_subject):
        assert dkimpy_verdicts(alter(data), dns.records) == [False, False]
    if shutil.which("opendkim") is None:
        pytest.skip("opendkim (Debian opendkim) not installed")
    assert opendkim_verdicts(data, dns.records, tmp_path) == [
        ("pass", "ed25519-sha256"), ("pass", "rsa-sha256")]
    for alter in (alter_body, alter_subject):
        assert opendkim_verdicts(alter(data), dns.records, tmp_path) == [
            ("fail", "ed25519-sha256"), ("fail", "rsa-sha256")]


def test_submission_to_a_local_account_is_signed_too(env):
    a, sink, dns = env()
    submit(a, "user1@a.test", "user2@a.test", msg(to="user2@a.test"))
    assert wait_until(lambda: a.count("user2@a.test") == 1, timeout=20), a.log_tail()
    stored = a.messages("user2@a.test")[0]
    stored = stored[stored.index(b"DKIM-Signature:"):]  # below Return-Path/Delivered-To
    check_signed(stored, dns.records)


def test_sendmail_is_signed(env):
    a, sink, dns = env()
    sendmail(a, ["-f", "user1@a.test", "x@remote.test"],
             msg().replace(b"\r\n", b"\n"))  # sendmail input has LF line ends
    check_signed(relayed(sink), dns.records)


def test_mynetworks_signs_our_domains_only(env):
    a, sink, dns = env(extra={"mynetworks": "127.0.0.0/8"})
    s = smtplib.SMTP(a.host, a.smtp_port, local_hostname="client.a.test", timeout=30)
    s.sendmail("user1@a.test", ["x@remote.test"], msg())
    s.sendmail("someone@other.test", ["x@remote.test"],
               msg(frm="someone@other.test", subject="foreign"))
    s.quit()
    relayed(sink, 2)  # in either order: two queue deliveries
    by_subject = {b"foreign" in m["data"]: m["data"] for m in sink.messages}
    check_signed(by_subject[False], dns.records)
    assert signatures(by_subject[True]) == []


def test_inbound_mail_on_port_25_is_not_signed(env):
    a, sink, dns = env()  # mynetworks empty: 127.0.0.1 is the internet
    s = smtplib.SMTP(a.host, a.smtp_port, local_hostname="client.a.test", timeout=30)
    s.sendmail("user1@a.test", ["user2@a.test"], msg(to="user2@a.test"))
    s.quit()
    assert wait_until(lambda: a.count("user2@a.test") == 1, timeout=20), a.log_tail()
    assert b"DKIM-Signature" not in a.messages("user2@a.test")[0]


def test_dkim_sign_no_turns_it_off(env):
    a, sink, dns = env(extra={"dkim_sign": "no"})
    submit(a, "user1@a.test", "x@remote.test", msg())
    assert signatures(relayed(sink)) == []


def test_dsn_is_signed_for_the_server_domain(env):
    a, sink, dns = env(start=False)
    sink.script = lambda sess, cmd: "550 5.1.1 no such user" if cmd.startswith("RCPT") else None
    start_ready(a)
    submit(a, "user1@a.test", "nobody@remote.test", msg(to="nobody@remote.test"))
    assert wait_until(lambda: a.count("user1@a.test") == 1, timeout=30), a.log_tail()
    dsn = a.messages("user1@a.test")[0]
    assert b"From: MAILER-DAEMON@mx.a.test" in dsn
    dsn = dsn[dsn.index(b"DKIM-Signature:"):]
    sigs = signatures(dsn)
    # myhostname mx.a.test has no keys: its parent a.test signs (DMARC relaxed alignment)
    assert sorted(s["a"] for s in sigs) == ["ed25519-sha256", "rsa-sha256"]
    assert {s["d"] for s in sigs} == {DOMAIN}
    assert dkimpy_verdicts(dsn, dns.records) == [True, True]


def test_rotation_waits_for_the_new_record(env):
    # s1 published; s2 made later, its records not in DNS yet
    a, sink, dns = env(selectors=("s1", "s2"), published=("s1",), start=False)
    s2 = os.path.join(a.data_dir, "dkim", DOMAIN)
    for n in ("s2-ed.pem", "s2-rsa.pem"):  # newer for sure, whatever the clock resolution
        st = os.stat(os.path.join(s2, n))
        os.utime(os.path.join(s2, n), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    start_ready(a)
    assert wait_log(a, "dkim: s2-rsa._domainkey.a.test: record missing"), a.log_tail()
    assert wait_log(a, "dkim: s1-rsa._domainkey.a.test: record published"), a.log_tail()
    submit(a, "user1@a.test", "x@remote.test", msg(subject="before"))
    check_signed(relayed(sink, 1), dns.records, selector="s1")
    # the records appear; the server looks again at SIGHUP (and every
    # dkim_dns_check_interval)
    dns.serve(list(dns.records))
    a.proc.send_signal(signal.SIGHUP)
    assert wait_log(a, "rsa signatures with selector s2-rsa (published)"), a.log_tail()
    assert wait_log(a, "ed25519 signatures with selector s2-ed (published)"), a.log_tail()
    submit(a, "user1@a.test", "x@remote.test", msg(subject="after"))
    check_signed(relayed(sink, 2), dns.records, selector="s2")


def test_unpublished_keys_still_sign_with_a_warning(env):
    a, sink, dns = env(published=())
    assert wait_log(a, "its record is missing"), a.log_tail()
    submit(a, "user1@a.test", "x@remote.test", msg())
    data = relayed(sink)
    assert len(signatures(data)) == 2
    # verifiable once the record is there: the signature itself is right
    assert dkimpy_verdicts(data, dns.records) == [True, True]

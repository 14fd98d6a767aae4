"""`yubin quickstart`: from nothing to a server that works. The config it writes passes
`yubin check` and runs (`yubin serve`, ports rewritten to free loopback ports): a mail
sent through it to the new account and to postmaster@ (its alias) is read back over IMAP
with the generated password. Every record the issue lists is printed, TXT strings within
255 octets; an existing config is never overwritten."""
import imaplib
import os
import re
import smtplib
import stat
import subprocess

from conftest import SANITIZER_MARKS, YUBIN_BIN, tls_client_context
from helpers import wait_until
from quickstart_helpers import (ADDRESS, DOMAIN, HOST, parse_zone, password_of,
                                run_quickstart, use_test_ports)


def quickstart(*args):
    p = subprocess.run([YUBIN_BIN, "quickstart"] + list(args), capture_output=True,
                       timeout=60)
    for mark in SANITIZER_MARKS:
        assert mark.encode() not in p.stderr, p.stderr.decode()
    return p


def test_quickstart_then_check_serve_send_and_read(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    p, out = run_quickstart(server, "--ip", "192.0.2.10", "--ip6", "2001:db8::10")
    assert p.returncode == 0, p.stderr.decode() + out
    password = password_of(out)
    assert len(password) >= 16 and password not in open(server.config_path).read()
    # the config as written is valid, and commented
    text = open(server.config_path).read()
    assert "myhostname = %s" % HOST in text and "mydomains = %s" % DOMAIN in text
    assert sum(1 for line in text.splitlines() if line.startswith("#")) >= 10
    # certificates by ACME unless --no-acme, with the web listeners its http-01 needs
    for line in ("acme = yes", "acme_email = %s" % ADDRESS, "http_listen = :80",
                 "https_listen = :443",
                 "#acme_domains = %s, mta-sts.%s, autoconfig.%s" % (HOST, DOMAIN, DOMAIN)):
        assert line in text.splitlines(), line
    check = server.cli("check")
    assert "myhostname = %s" % HOST in check.stdout.decode()
    assert stat.S_IMODE(os.stat(server.data_dir).st_mode) & 0o007 == 0

    ports = use_test_ports(server)
    server.cli("check")
    server.start()
    with smtplib.SMTP(server.host, server.smtp_port, timeout=30) as s:
        s.sendmail("someone@elsewhere.example", [ADDRESS, "postmaster@" + DOMAIN],
                   b"Subject: welcome\r\n\r\nit works\r\n")
    imap = imaplib.IMAP4_SSL(server.host, ports["imaps_listen"],
                             ssl_context=tls_client_context())
    try:
        imap.login(ADDRESS, password)
        imap.select("INBOX")
        # one copy: the account and its postmaster alias are the same mailbox
        assert wait_until(lambda: imap.noop() and imap.search(None, "ALL")[1][0].split(),
                          timeout=20)
        typ, data = imap.fetch(b"1", "(BODY[])")
        assert typ == "OK" and b"it works" in data[0][1]
        try:
            imaplib.IMAP4_SSL(server.host, ports["imaps_listen"],
                              ssl_context=tls_client_context()).login(ADDRESS, "wrong")
            assert False, "a wrong password logged in"
        except imaplib.IMAP4.error:
            pass
    finally:
        imap.logout()


def test_quickstart_prints_every_record(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    p, out = run_quickstart(server, "--ip", "192.0.2.10", "--selector", "qs")
    assert p.returncode == 0, p.stderr.decode()
    records = parse_zone(out)
    by = {}
    for name, rtype, data in records:
        by.setdefault((name, rtype), []).append(data)
    assert by[(DOMAIN, "MX")] == [["10", HOST]]
    assert by[(HOST, "A")] == [["192.0.2.10"]]
    assert by[("10.2.0.192.in-addr.arpa", "PTR")] == [[HOST]]
    assert re.search(r"^;%s\. IN AAAA " % re.escape(HOST), out, re.M), "the AAAA placeholder"
    assert by[(DOMAIN, "TXT")] == [["v=spf1 mx -all"]]
    assert by[(HOST, "TXT")] == [["v=spf1 a -all"]]
    assert by[("_dmarc." + DOMAIN, "TXT")] == [
        ["v=DMARC1; p=none; rua=mailto:postmaster@" + DOMAIN]]
    assert re.search(r"^;_dmarc\.%s\. IN TXT \"v=DMARC1; p=quarantine" % re.escape(DOMAIN),
                     out, re.M), "the line to tighten DMARC later"
    for sel in ("qs-ed", "qs-rsa"):
        strings = by[("%s._domainkey.%s" % (sel, DOMAIN), "TXT")][0]
        assert all(len(s.encode()) <= 255 for s in strings)
        assert "".join(strings).startswith("v=DKIM1;")
        assert os.path.exists(os.path.join(server.data_dir, "dkim", DOMAIN, sel + ".pem"))
    assert re.fullmatch(r"v=STSv1; id=[A-Za-z0-9]{1,32}",
                        by[("_mta-sts." + DOMAIN, "TXT")][0][0])
    assert re.search(r"^;\s+mode: testing$", out, re.M) and re.search(
        r"^;\s+mx: %s$" % re.escape(HOST), out, re.M), "the MTA-STS policy text"
    assert by[("_smtp._tls." + DOMAIN, "TXT")] == [
        ["v=TLSRPTv1; rua=mailto:postmaster@" + DOMAIN]]
    srv = {name.split(".")[0]: data for (name, rtype), [data] in by.items() if rtype == "SRV"}
    assert srv == {"_submissions": ["0", "1", "465", HOST], "_submission": ["10", "1", "587", HOST],
                   "_imaps": ["0", "1", "993", HOST], "_imap": ["10", "1", "143", HOST],
                   "_pop3s": ["20", "1", "995", HOST], "_pop3": ["30", "1", "110", HOST]}
    assert by[("autoconfig." + DOMAIN, "CNAME")] == [[HOST]]
    assert by[("autodiscover." + DOMAIN, "CNAME")] == [[HOST]]
    # without --ip the address is a placeholder the admin is told to fill in
    other = yubin_factory(users=[], aliases={}, start=False)
    p, out = run_quickstart(other, "--hostname", "mx9.example.test")
    assert p.returncode == 0
    assert re.search(r"FILL IN", out) and "PLACEHOLDER" in out
    assert ("example.test", "MX", ["10", "mx9.example.test"]) in parse_zone(out)


def test_quickstart_refuses_to_overwrite(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    p, _ = run_quickstart(server)
    assert p.returncode == 0
    before = open(server.config_path).read()
    p2 = quickstart("bob@example.test", "--config", server.config_path, "--data-dir",
                    server.data_dir)
    assert p2.returncode != 0
    assert b"exists already" in p2.stderr
    assert open(server.config_path).read() == before
    assert b"password" not in p2.stdout
    # the config's directory is made when missing
    p4 = quickstart("carol@example.org", "--config",
                    os.path.join(server.workdir, "etc", "yubin", "yubin.conf"), "--data-dir",
                    os.path.join(server.workdir, "data2"))
    assert p4.returncode == 0, p4.stderr.decode()
    assert os.path.exists(os.path.join(server.workdir, "etc", "yubin", "yubin.conf"))
    # a new config over a data directory that holds a server's data is refused too
    p3 = quickstart("bob@example.test", "--config", server.config_path + ".new",
                    "--data-dir", server.data_dir)
    assert p3.returncode != 0 and not os.path.exists(server.config_path + ".new")


def test_quickstart_bad_arguments(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    os.unlink(server.config_path)
    for args in (["not-an-address"], ["a@nodot"], [ADDRESS, "--ip", "::1"],
                 [ADDRESS, "--ip6", "10.0.0.1"], [ADDRESS, "--hostname", "bad host"],
                 [ADDRESS, "--data-dir", "relative"], [ADDRESS, "--bogus"],
                 [ADDRESS, "--selector", "../x"], [ADDRESS, "--selector", "a.b"]):
        p = quickstart("--config", server.config_path, "--data-dir", server.data_dir, *args)
        assert p.returncode != 0, args
        assert not os.path.exists(server.config_path), args
        assert not os.path.exists(server.data_dir), args


def test_quickstart_no_acme(yubin_factory):
    """--no-acme (a demo, a machine without the internet): acme = no and the lines for a
    certificate of one's own, and the config is still valid."""
    server = yubin_factory(users=[], aliases={}, start=False)
    p, out = run_quickstart(server, "--no-acme")
    assert p.returncode == 0, p.stderr.decode() + out
    lines = open(server.config_path).read().splitlines()
    assert "acme = no" in lines and "acme = yes" not in lines
    assert "#tls_cert_file = /etc/letsencrypt/live/%s/fullchain.pem" % HOST in lines
    assert "acme = no" in server.cli("check").stdout.decode().splitlines()

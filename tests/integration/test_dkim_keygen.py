"""`yubin dkim keygen` and `yubin dkim list`: the keys are written 0600 under
data_directory/dkim, the printed zone-file records are split into strings of at most 255
octets (RFC 1035 3.3, RFC 6376 3.6.2.2) and, joined, are the key records dkimpy verifies
signatures made with the generated private keys against; `list` tells which records the
DNS (dnsmasq here) serves."""
import base64
import os
import re
import stat
import subprocess

import pytest

from relay_helpers import default_data_template, dns_factory  # noqa: F401 (fixtures)

dkim = pytest.importorskip("dkim")
pytest.importorskip("nacl")  # dkimpy's ed25519

DOMAIN = "example.test"
MSG = (b"From: Alice <alice@example.test>\r\n"
       b"To: bob@example.org\r\n"
       b"Subject: keygen test\r\n"
       b"Date: Thu, 03 Dec 2026 00:00:00 +0000\r\n"
       b"Message-ID: <keygen@example.test>\r\n"
       b"\r\n"
       b"Hello.\r\n")


def parse_records(out):
    """{name: [string, ...]} from the zone-file lines keygen prints."""
    records = {}
    for m in re.finditer(r'^(\S+)\. IN TXT \((.*?)\)$', out, re.M | re.S):
        records[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    return records


def dkimpy_private_key(path, alg):
    """dkimpy wants PKCS#1 PEM for RSA and the base64 32-byte seed for ed25519."""
    if alg == "rsa":
        return subprocess.run(["openssl", "rsa", "-traditional", "-in", path],
                              check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der[-32:])


def keygen(server, selector):
    p = server.cli("dkim", "keygen", DOMAIN, "--selector", selector)
    return parse_records(p.stdout.decode())


def test_keygen_writes_keys_and_records_that_verify(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    records = keygen(server, "t1")
    assert set(records) == {"t1-ed._domainkey." + DOMAIN, "t1-rsa._domainkey." + DOMAIN}
    for strings in records.values():
        assert strings and all(len(s.encode()) <= 255 for s in strings)
    assert len(records["t1-rsa._domainkey." + DOMAIN]) >= 2  # an rsa-2048 record is ~400

    def dnsfunc(name, timeout=5):
        name = (name.decode() if isinstance(name, bytes) else name).rstrip(".")
        return "".join(records[name]).encode() if name in records else None

    for sel, alg, algname in (("t1-ed", "ed25519", b"ed25519-sha256"),
                              ("t1-rsa", "rsa", b"rsa-sha256")):
        path = os.path.join(server.data_dir, "dkim", DOMAIN, sel + ".pem")
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        sig = dkim.sign(MSG, sel.encode(), DOMAIN.encode(), dkimpy_private_key(path, alg),
                        canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=algname)
        signed = sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + MSG
        assert dkim.verify(signed, dnsfunc=dnsfunc), sel
        # and not with the other selector's record: the records really are these keys
        other = "t1-rsa" if sel == "t1-ed" else "t1-ed"
        wrong = lambda name, timeout=5: dnsfunc(name.replace(sel.encode(), other.encode()))
        try:
            verified = dkim.verify(signed, dnsfunc=wrong)
        except Exception:  # dkimpy raises on a key of the other algorithm: also a failure
            verified = False
        assert not verified


def test_keygen_refuses_an_existing_selector(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    keygen(server, "t2")
    path = os.path.join(server.data_dir, "dkim", DOMAIN, "t2-rsa.pem")
    before = open(path).read()
    p = server.cli("dkim", "keygen", DOMAIN, "--selector", "t2", check=False)
    assert p.returncode != 0
    assert b"exists already" in p.stderr
    assert open(path).read() == before


@pytest.mark.parametrize("bad", [["../x"], ["example.test", "--selector", "a/b"],
                                 ["example.test", "--selector", "a.b"]])
def test_keygen_refuses_bad_names(yubin_factory, bad):
    server = yubin_factory(users=[], aliases={}, start=False)
    p = server.cli("dkim", "keygen", *bad, check=False)
    assert p.returncode != 0
    assert not os.path.exists(os.path.join(server.data_dir, "dkim"))


def test_list_shows_what_dns_serves(yubin_factory, dns_factory):  # noqa: F811
    server = yubin_factory(users=[], aliases={}, start=False)
    a = keygen(server, "a")
    b = keygen(server, "b")
    # a-ed published as made; a-rsa published with b-rsa's key; the b selectors not at all
    dns = dns_factory(extra=[
        "--txt-record=a-ed._domainkey.%s,%s" % (DOMAIN, ",".join(a["a-ed._domainkey." + DOMAIN])),
        "--txt-record=a-rsa._domainkey.%s,%s" % (DOMAIN,
                                                 ",".join(b["b-rsa._domainkey." + DOMAIN])),
    ])
    server.settings["dns_resolvers"] = dns.resolver
    server.write_config()
    out = server.cli("dkim", "list").stdout.decode()
    rows = {}
    for line in out.splitlines()[1:]:
        domain, sel, alg, state = line.split()
        assert domain == DOMAIN
        rows[sel] = (alg, state)
    assert rows == {"a-ed": ("ed25519", "published"), "a-rsa": ("rsa", "different"),
                    "b-ed": ("ed25519", "missing"), "b-rsa": ("rsa", "missing")}


def test_keygen_default_selector_is_the_date(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    out = server.cli("dkim", "keygen", "Example.TEST").stdout.decode()
    names = sorted(parse_records(out))
    assert len(names) == 2
    assert re.fullmatch(r"y\d{8}-ed\._domainkey\.example\.test", names[0]), names
    assert re.fullmatch(r"y\d{8}-rsa\._domainkey\.example\.test", names[1]), names
    sel = names[0].split(".")[0]
    assert os.path.exists(os.path.join(server.data_dir, "dkim", DOMAIN, sel + ".pem"))

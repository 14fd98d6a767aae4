"""ARC interoperability (issue 8, RFC 8617): yubin's ARC code, driven through the arc-tool
test program (tests/unit/mailauth/arc-tool.c: key records on its command line instead of
DNS), against dkimpy (Debian python3-dkim: dkim.arc_sign / dkim.arc_verify, keys through
its dnsfunc hook). Sets yubin adds validate in dkimpy, chains dkimpy makes validate in
yubin, over one, two and three hops with the two alternating; a message changed after
sealing fails in both; a chain that arrives broken gets a cv=fail seal from yubin that
ends it in both. All offline, no DNS."""
import os
import subprocess

import pytest

dkim = pytest.importorskip("dkim")
pytest.importorskip("authres")  # dkim.arc_sign needs it

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YUBIN_BIN = os.environ.get("YUBIN_BIN", os.path.join(REPO, "build", "yubin"))
UNIT = os.path.join(os.path.dirname(YUBIN_BIN), "tests", "unit", "mailauth")
ARC_TOOL = os.environ.get("ARC_TOOL", os.path.join(UNIT, "arc-tool"))
DKIM_TOOL = os.environ.get("DKIM_TOOL", os.path.join(UNIT, "dkim-tool"))

# two forwarders: a mailing list that uses dkimpy, and yubin
LIST = ("lists.example.org", "lst")
YUBIN = ("mx.example.test", "y-rsa")

MESSAGE = (b"Authentication-Results: lists.example.org; spf=pass smtp.mailfrom=example.net\r\n"
           b"Received: from client.example.net (client.example.net [127.0.0.2])\r\n"
           b"\tby mx.example.net; Wed, 02 Dec 2026 10:00:00 +0000\r\n"
           b"From: Alice Example <alice@example.net>\r\n"
           b"To: Bob <bob@example.com>,\r\n  Carol <carol@example.com>\r\n"
           b"Subject: Lunch   on\r\n\tFriday?\r\n"
           b"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <arc-interop-1@example.net>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=us-ascii\r\n"
           b"\r\n"
           b"Hi Bob,\r\n"
           b"\r\n"
           b"shall we   meet at noon?  \r\n"
           b" -- Alice\r\n")


def run(tool, *args, stdin=b""):
    return subprocess.run([tool] + list(args), input=stdin, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    for t in (ARC_TOOL, DKIM_TOOL):
        if not os.path.exists(t):
            pytest.skip("%s not built: build with tests enabled" % t)
    d = tmp_path_factory.mktemp("arckeys")
    out = {"pem": {}, "records": {}}
    for dom, sel in (LIST, YUBIN):
        path = str(d / ("%s.pem" % sel))
        # -traditional: dkimpy reads only PKCS#1 RSA keys; yubin reads both
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, "2048"],
                       check=True, capture_output=True)
        r = run(DKIM_TOOL, "record", path)
        assert r.returncode == 0, r.stderr
        out["pem"][dom] = path
        out["records"]["%s._domainkey.%s" % (sel, dom)] = r.stdout.strip()
    ed = str(d / "ed.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", ed], check=True,
                   capture_output=True)
    out["ed"] = ed
    return out


def dnsfunc_for(keys):
    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return keys["records"].get(name.rstrip("."))
    return dnsfunc


def dkimpy_verify(msg, keys):
    """dkimpy's chain validation status: 'pass', 'fail', 'none', or 'ended' (None: the
    latest seal says cv=fail)."""
    cv, _, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc_for(keys))
    if cv is None:
        return "ended", reason
    return cv.decode(), reason


def dkimpy_seal(msg, keys):
    """The list seals: it validates, writes its Authentication-Results (arc= included, which
    dkimpy reads the cv from) and adds a set."""
    cv, _ = dkimpy_verify(msg, keys)
    ar = b"Authentication-Results: lists.example.org; dkim=none"
    if cv != "none":
        ar += b"; arc=" + cv.encode()
    msg = ar + b"\r\n" + msg
    with open(keys["pem"][LIST[0]], "rb") as f:
        pem = f.read()
    fields = dkim.arc_sign(msg, LIST[1].encode(), LIST[0].encode(), pem, LIST[0].encode())
    assert fields, "dkimpy did not seal"
    return b"".join(fields) + msg


def yubin_args(keys):
    return ["%s=%s" % (name, rec.decode()) for name, rec in keys["records"].items()]


def yubin_verify(msg, keys):
    """(cv, the first output line)."""
    r = run(ARC_TOOL, "verify", "--ip", "127.0.0.2", *yubin_args(keys), stdin=msg)
    line = r.stdout.decode().splitlines()[0]
    cv = line.split()[0].split("=", 1)[1]
    assert r.returncode == {"pass": 0, "fail": 1, "none": 3}[cv], r.stdout
    return cv, line


def yubin_seal(msg, keys, *opts):
    spec = "%s:%s:%s" % (keys["pem"][YUBIN[0]], YUBIN[0], YUBIN[1])
    r = run(ARC_TOOL, "seal", "--id", YUBIN[0], "--ar", "spf=pass smtp.mailfrom=example.net",
            *opts, spec, *yubin_args(keys), stdin=msg)
    assert r.returncode == 0, r.stderr
    return r.stdout


def count_sets(msg):
    return sum(1 for line in msg.split(b"\r\n") if line.lower().startswith(b"arc-seal:"))


def test_unsealed_is_none_in_both(keys):
    assert yubin_verify(MESSAGE, keys)[0] == "none"
    assert dkimpy_verify(MESSAGE, keys)[0] == "none"


def test_yubin_first_hop_validates_in_dkimpy(keys):
    sealed = yubin_seal(MESSAGE, keys)
    assert count_sets(sealed) == 1
    assert b"ARC-Seal: i=1; a=rsa-sha256;" in sealed and b"cv=none;" in sealed
    assert dkimpy_verify(sealed, keys) == ("pass", "success")
    assert yubin_verify(sealed, keys)[0] == "pass"


def test_dkimpy_first_hop_validates_in_yubin(keys):
    sealed = dkimpy_seal(MESSAGE, keys)
    assert dkimpy_verify(sealed, keys)[0] == "pass"
    cv, line = yubin_verify(sealed, keys)
    assert cv == "pass", line
    assert "n=1 oldest-pass=0" in line


@pytest.mark.parametrize("hops", [("dkimpy", "yubin"), ("yubin", "dkimpy"),
                                  ("dkimpy", "yubin", "dkimpy"),
                                  ("yubin", "dkimpy", "yubin", "yubin")])
def test_multi_hop_chains_validate_in_both(keys, hops):
    msg = MESSAGE
    for i, who in enumerate(hops, 1):
        msg = dkimpy_seal(msg, keys) if who == "dkimpy" else yubin_seal(msg, keys)
        assert count_sets(msg) == i
        assert dkimpy_verify(msg, keys)[0] == "pass", (i, who)
        cv, line = yubin_verify(msg, keys)
        assert cv == "pass", (i, who, line)
        assert "n=%d oldest-pass=0" % i in line


def two_hops(keys):
    return yubin_seal(dkimpy_seal(MESSAGE, keys), keys)


@pytest.mark.parametrize("change", [
    (b"noon", b"nine"),                                      # the body: the latest AMS
    (b"Lunch", b"Lurch"),                                    # a signed header field
    (b"i=1; lists.example.org; dkim=none", b"i=1; lists.example.org; dkim=pass"),  # AAR 1
    (b"ARC-Seal: i=1;", b"X-Seal: i=1;"),                    # a seal removed
    (b"ARC-Message-Signature: i=2;", b"ARC-Message-Signature: i=3;"),  # instance changed
])
def test_changed_after_sealing_fails_in_both(keys, change):
    msg = two_hops(keys)
    assert change[0] in msg
    bad = msg.replace(change[0], change[1], 1)
    assert dkimpy_verify(bad, keys)[0] == "fail"
    assert yubin_verify(bad, keys)[0] == "fail"


def test_broken_chain_gets_a_final_cv_fail_seal(keys):
    """RFC 8617 5.1.2: yubin receives a chain that fails, seals cv=fail over its own set
    only; both then see a chain that has ended, and yubin seals no more."""
    broken = dkimpy_seal(MESSAGE, keys).replace(b"noon", b"nine", 1)
    assert yubin_verify(broken, keys)[0] == "fail"
    sealed = yubin_seal(broken, keys)
    assert b"cv=fail;" in sealed and count_sets(sealed) == 2
    assert dkimpy_verify(sealed, keys)[0] == "ended"
    cv, line = yubin_verify(sealed, keys)
    assert cv == "fail" and "the latest ARC-Seal says cv=fail" in line
    spec = "%s:%s:%s" % (keys["pem"][YUBIN[0]], YUBIN[0], YUBIN[1])
    r = run(ARC_TOOL, "seal", spec, *yubin_args(keys), stdin=sealed)
    assert r.returncode == 1 and b"cv=fail" in r.stderr


def test_missing_key_fails_in_both(keys):
    msg = two_hops(keys)
    r = run(ARC_TOOL, "verify", stdin=msg)  # no key records: NXDOMAIN
    assert r.returncode == 1 and b"no key for signature" in r.stdout
    cv, _, _ = dkim.arc_verify(msg, dnsfunc=lambda name, timeout=5: None)
    assert cv == b"fail"


def test_ed25519_key_is_not_used_for_sealing(keys):
    r = run(ARC_TOOL, "seal", "%s:%s:ed" % (keys["ed"], YUBIN[0]), stdin=MESSAGE)
    assert r.returncode == 1 and b"RSA key" in r.stderr

"""Authentication-Results fields built by yubin (authres-tool, src/mailauth/authres.c) parse in
python3-authres (the RFC 8601 parser Debian ships): the same authserv-id, methods, results,
reasons and property values, whatever quoting and folding yubin chose. Not tested here: a quoted authserv-id (RFC 8601
2.2 allows any value; authres 1.2 reads a dot-atom only; ours is myhostname). Run by
`meson test mailauth-authres-interop` (AUTHRES_TOOL is set)."""
import os
import subprocess

import pytest

authres = pytest.importorskip("authres")

TOOL = os.environ.get("AUTHRES_TOOL")
ID = "mx.example.com"

# each case: the tool's arguments after the authserv-id, and the expected
# [(method, result, reason, [(ptype, property, value)...])...]
CASES = [
    ([], []),
    (["spf=pass", "prop:smtp.mailfrom=user@example.net"],
     [("spf", "pass", None, [("smtp", "mailfrom", "user@example.net")])]),
    (["spf=none", "prop:smtp.helo=mail.example.org", "prop:smtp.mailfrom=@example.org"],
     [("spf", "none", None, [("smtp", "helo", "mail.example.org"),
                             ("smtp", "mailfrom", "@example.org")])]),
    (["dkim=fail", "reason:signature did not verify", "prop:header.d=example.net",
      "prop:header.s=sel-2026", "b:abc/+def=ghij", "comment:rsa-sha256 (2048 bits)"],
     [("dkim", "fail", "signature did not verify",
       [("header", "d", "example.net"), ("header", "s", "sel-2026"),
        ("header", "b", "abc/+def")])]),
    (["dkim=pass", "prop:header.d=a.example", "prop:header.s=ed", "b:ZZZZZZZZZZZZ",
      "dkim=permerror", "reason:key \"quoted\" and \\backslash\\", "prop:header.d=b.example",
      "prop:header.s=rsa", "b:Y/Y+Y/Y+Y",
      "dmarc=fail", "prop:header.from=example.com", "prop:policy.dmarc=reject",
      "arc=none", "auth=pass", "prop:smtp.auth=user with space"],
     [("dkim", "pass", None, [("header", "d", "a.example"), ("header", "s", "ed"),
                              ("header", "b", "ZZZZZZZZ")]),
      # authres keeps quoted-pairs as they are written (its _parse_rfc5322_qcontent returns
      # the backslash too); the RFC 5322 3.2.4 value is 'key "quoted" and \\backslash\\'
      ("dkim", "permerror", 'key \\"quoted\\" and \\\\backslash\\\\',
       [("header", "d", "b.example"), ("header", "s", "rsa"), ("header", "b", "Y/Y+Y/Y+")]),
      ("dmarc", "fail", None, [("header", "from", "example.com"),
                               ("policy", "dmarc", "reject")]),
      ("arc", "none", None, []),
      ("auth", "pass", None, [("smtp", "auth", "user with space")])]),
    (["spf=temperror", "reason:DNS timeout; try later", "prop:smtp.mailfrom=a;b@example.com"],
     [("spf", "temperror", "DNS timeout; try later", [("smtp", "mailfrom", "a;b@example.com")])]),
]


def run(*args):
    assert TOOL, "AUTHRES_TOOL is not set"
    return subprocess.run([TOOL, *args], check=True, capture_output=True).stdout.decode()


def parse(field):
    assert field.endswith("\r\n")
    for line in field[:-2].split("\r\n"):
        assert len(line) <= 78
    return authres.AuthenticationResultsHeader.parse(field[:-2])


def simplify(h):
    return [(r.method, r.result, r.reason,
             [(p.type, p.name, p.value) for p in r.properties]) for r in h.results]


@pytest.mark.parametrize("args,want", CASES)
def test_parses_in_authres(args, want):
    h = parse(run(ID, *args))
    assert h.authserv_id == ID
    assert simplify(h) == want


def test_not_checked():
    h = parse(run("--submission", ID, "alice@example.com"))
    assert simplify(h) == [("auth", "pass", None, [("smtp", "auth", "alice@example.com")])]
    h = parse(run("--mynetworks", ID))
    assert h.authserv_id == ID and h.results == []


def test_strip():
    msg = ("Authentication-Results: MX.example.COM; spf=pass\r\n"
           "Authentication-Results: other.example; spf=pass\r\n"
           "Authentication-Results: (c) \"mx.example.com\" 1;\r\n\tdkim=pass\r\n"
           "Subject: x\r\n\r\nbody\r\n")
    out = subprocess.run([TOOL, "--strip", ID], input=msg.encode(), check=True,
                         capture_output=True).stdout.decode()
    assert out == ("Authentication-Results: other.example; spf=pass\r\n"
                   "Subject: x\r\n\r\nbody\r\n")

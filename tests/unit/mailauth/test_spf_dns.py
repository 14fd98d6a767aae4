"""check_host() over real DNS: spf-tool --dns asks a dnsmasq on loopback (offline, as the
relay tests run it) through src/dns (c-ares on libevent) and its answer cache. Multi-string
TXT records, include, mx, ptr, exp=, IPv6, NXDOMAIN, and the cache saving queries."""
import os
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "integration"))
from relay_helpers import DNSMASQ, Dnsmasq  # noqa: E402

SPF_TOOL = os.environ.get(
    "SPF_TOOL",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "build", "tests", "unit", "spf-tool"))

ZONE = [
    # RFC 7208 3.3: the strings of one TXT record are joined with nothing between
    # (on dnsmasq's command line, commas separate the strings and quotes are kept)
    "--txt-record=example.test,v=spf1 ip4:192.0.2.0/24 ,mx include:inc.example.test ,"
    "ptr:example.test a:v6.example.test -all exp=why.example.test",
    "--txt-record=example.test,not an spf record",
    "--txt-record=inc.example.test,v=spf1 ip4:198.51.100.7 ~all",
    "--txt-record=why.example.test,%{i} may not send for %{d}",
    "--mx-host=example.test,mx.example.test,10",
    "--host-record=mx.example.test,203.0.113.25",
    "--host-record=v6.example.test,2001:db8::25",
    "--host-record=gw.example.test,203.0.113.80",  # with its PTR record
    "--txt-record=many.example.test,v=spf1 -all",
    "--txt-record=many.example.test,v=spf1 +all",
    "--txt-record=red.example.test,v=spf1 redirect=inc.example.test",
    "--local-ttl=300", "--log-queries",
    # authoritative for example.test: negative answers carry the SOA that RFC 2308 caching
    # needs (MINIMUM 60); only addresses inside the zone's networks are served
    "--auth-server=ns.example.test,lo", "--auth-zone=example.test,203.0.113.0/24,2001:db8::/32",
    "--auth-soa=1,hostmaster.example.test,1200,120,1209600,60", "--auth-ttl=300",
]


@pytest.fixture(scope="module")
def dns():
    if not os.path.exists(DNSMASQ):
        pytest.skip("dnsmasq not installed")
    with tempfile.TemporaryDirectory() as d:
        server = Dnsmasq(d, extra=ZONE)
        try:
            yield server
        finally:
            server.stop()
            if os.environ.get("SPF_DNS_LOG"):
                print(open(server.log_path).read())


def spf(dns, queries, *extra):
    stdin = "".join("\t".join(q) + "\n" for q in queries)
    out = subprocess.run([SPF_TOOL, "--exp", "DEFAULT", *extra, "--dns", dns.resolver],
                         input=stdin.encode(), capture_output=True, timeout=120, check=True)
    return [line.split("\t")[:2] for line in out.stdout.decode().splitlines()]


def queries_for(dns, name):
    with open(dns.log_path) as f:
        return sum(1 for line in f
                   if "query[TXT] " + name + " " in line or "auth[TXT] " + name + " " in line)


def test_results(dns):
    got = spf(dns, [
        ("192.0.2.9", "user@example.test", "h.example.test"),      # ip4
        ("203.0.113.25", "user@example.test", "h.example.test"),   # mx
        ("198.51.100.7", "user@example.test", "h.example.test"),   # include
        ("203.0.113.80", "user@example.test", "h.example.test"),   # ptr (validated)
        ("2001:db8::25", "user@example.test", "h.example.test"),   # a, AAAA
        ("::ffff:192.0.2.9", "user@example.test", "h.example.test"),  # IPv4-mapped
        ("192.0.2.9", "", "example.test"),                         # HELO identity
        ("198.51.100.99", "user@example.test", "h.example.test"),  # fail, exp=
        ("198.51.100.99", "user@red.example.test", "h.example.test"),
        ("198.51.100.99", "user@nx.example.test", "h.example.test"),
        ("198.51.100.99", "user@many.example.test", "h.example.test"),
    ])
    assert got == [
        ["pass", ""], ["pass", ""], ["pass", ""], ["pass", ""], ["pass", ""], ["pass", ""],
        ["pass", ""],
        ["fail", "198.51.100.99 may not send for example.test"],
        ["softfail", ""], ["none", ""], ["permerror", ""],
    ]


def test_cache_saves_queries(dns):
    before = queries_for(dns, "inc.example.test")
    q = ("198.51.100.7", "user@inc.example.test", "h.example.test")
    assert spf(dns, [q, q, q]) == [["pass", ""]] * 3
    assert queries_for(dns, "inc.example.test") - before == 1
    # without the cache, each check asks again
    before = queries_for(dns, "inc.example.test")
    assert spf(dns, [q, q, q], "--cache-size", "0") == [["pass", ""]] * 3
    assert queries_for(dns, "inc.example.test") - before == 3


def test_negative_answers_cached(dns):
    before = queries_for(dns, "nx2.example.test")
    q = ("198.51.100.7", "user@nx2.example.test", "h.example.test")
    assert spf(dns, [q, q]) == [["none", ""]] * 2
    assert queries_for(dns, "nx2.example.test") - before == 1

"""`yubin dnscheck` against dnsmasq: serving exactly the records `yubin quickstart`
printed, every line is ok and the exit status 0; serving a broken zone (MX elsewhere, a
PTR naming another host, SPF not covering the host, a DKIM record of another key and one
missing, an invalid DMARC record, an SRV record on the wrong port), each is named WRONG
or MISSING and the exit status is non-zero."""
import re

from quickstart_helpers import (DOMAIN, HOST, dnsmasq_args, parse_zone, run_quickstart,
                                set_keys)
from relay_helpers import default_data_template, dns_factory  # noqa: F401 (fixtures)
from conftest import free_port

IP = "127.0.0.1"


def quickstarted(yubin_factory):
    server = yubin_factory(users=[], aliases={}, start=False)
    p, out = run_quickstart(server, "--ip", IP, "--selector", "dc")
    assert p.returncode == 0, p.stderr.decode()
    return server, parse_zone(out)


def dnscheck(server, resolver):
    # the listeners stay as quickstart wrote them: the SRV records name those ports
    set_keys(server, {"dns_resolvers": resolver, "run_as_user": ""})
    p = server.cli("dnscheck", check=False)
    out = p.stdout.decode()
    lines = {}
    for line in out.splitlines():
        m = re.match(r"^(ok|MISSING|WRONG|note)\s+(\S+ \S+?):", line)
        if m:
            lines.setdefault(m.group(2), []).append((m.group(1), line))
    return p.returncode, out, lines


def verdicts(lines, key):
    return sorted(v for v, _ in lines.get(key, []))


def test_dnscheck_right_zone(yubin_factory, dns_factory):  # noqa: F811
    server, records = quickstarted(yubin_factory)
    dns = dns_factory(extra=dnsmasq_args(records))
    rc, out, lines = dnscheck(server, dns.resolver)
    assert rc == 0, out
    assert "WRONG" not in out and "MISSING" not in out, out
    assert "\n0 problems" in out
    assert "A %s: %s (an address of this machine)" % (HOST, IP) in out, out
    for key in ("A " + HOST, "PTR " + IP, "MX " + DOMAIN, "SPF " + DOMAIN, "SPF " + HOST,
                "DKIM dc-ed._domainkey." + DOMAIN, "DKIM dc-rsa._domainkey." + DOMAIN,
                "DMARC _dmarc." + DOMAIN, "MTA-STS _mta-sts." + DOMAIN,
                "TLS-RPT _smtp._tls." + DOMAIN, "name autoconfig." + DOMAIN,
                "name autodiscover." + DOMAIN):
        assert verdicts(lines, key) == ["ok"], (key, out)
    srv = [k for k in lines if k.startswith("SRV ")]
    assert len(srv) == 6 and all(verdicts(lines, k) == ["ok"] for k in srv), out


def test_dnscheck_broken_zone(yubin_factory, dns_factory):  # noqa: F811
    server, records = quickstarted(yubin_factory)
    txt = {name: data for name, rtype, data in records if rtype == "TXT"}
    broken = []
    for name, rtype, data in records:
        if rtype == "MX":
            data = ["10", "mx.elsewhere.test"]
        elif rtype == "A":
            continue  # --address below: an A record without the matching PTR
        elif rtype == "TXT" and name == DOMAIN:
            data = ["v=spf1 ip4:192.0.2.0/24 -all"]
        elif rtype == "TXT" and name.startswith("dc-rsa."):
            data = txt["dc-ed._domainkey." + DOMAIN]  # another key
        elif rtype == "TXT" and name.startswith("dc-ed."):
            continue  # missing
        elif rtype == "TXT" and name.startswith("_dmarc."):
            data = ["v=DMARC1; p=bogus"]
        elif rtype == "SRV" and name.startswith("_imaps."):
            data = data[:2] + ["994"] + data[3:]
        elif rtype == "CNAME":
            continue
        broken.append((name, rtype, data))
    dns = dns_factory(extra=dnsmasq_args(broken) + [
        "--address=/%s/%s" % (HOST, IP),
        "--ptr-record=1.0.0.127.in-addr.arpa,other.elsewhere.test",
        "--host-record=mx.elsewhere.test,192.0.2.99"])
    rc, out, lines = dnscheck(server, dns.resolver)
    assert rc != 0, out
    assert verdicts(lines, "A " + HOST) == ["ok"], out
    expect = {"MX " + DOMAIN: "WRONG", "PTR " + IP: "WRONG", "SPF " + DOMAIN: "WRONG",
              "DKIM dc-rsa._domainkey." + DOMAIN: "WRONG",
              "DKIM dc-ed._domainkey." + DOMAIN: "MISSING",
              "DMARC _dmarc." + DOMAIN: "WRONG", "SRV _imaps._tcp." + DOMAIN: "WRONG"}
    for key, verdict in expect.items():
        assert verdicts(lines, key) == [verdict], (key, out)
    assert "points to 10 mx.elsewhere.test" in out
    assert "names other.elsewhere.test" in out and "does not resolve back" in out
    assert "SPF %s: fail for %s" % (DOMAIN, IP) in out
    m = re.search(r"^(\d+) problems$", out, re.M)
    assert m and int(m.group(1)) == len(expect), out


def test_dnscheck_no_records(yubin_factory, dns_factory):  # noqa: F811
    server, _ = quickstarted(yubin_factory)
    dns = dns_factory()
    rc, out, lines = dnscheck(server, dns.resolver)
    assert rc != 0
    for key in ("MX " + DOMAIN, "DMARC _dmarc." + DOMAIN, "A/AAAA " + HOST,
                "DKIM dc-ed._domainkey." + DOMAIN):
        assert verdicts(lines, key) == ["MISSING"], (key, out)
    assert verdicts(lines, "MTA-STS _mta-sts." + DOMAIN) == ["note"], out


def test_dnscheck_resolvers_do_not_answer(yubin_factory):
    server, _ = quickstarted(yubin_factory)
    rc, out, lines = dnscheck(server, "127.0.0.1:%d" % free_port(udp=True))
    assert rc != 0
    assert "do not answer: nothing checked" in out, out
    assert verdicts(lines, "A " + HOST) == ["WRONG"], out
    assert "MX " + DOMAIN not in lines

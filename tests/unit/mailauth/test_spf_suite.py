"""The RFC 7208 test suite (openspf.org, as shipped by Debian's python3-spf) run against
yubin's SPF evaluator: each scenario's zone data becomes a zone file for spf-tool's fake
DNS (tests/unit/mailauth/spf_fake_dns.h), with the conventions of pyspf's own driver
(testspf.py): SPF records are also served as TXT records unless the name has TXT records
of its own, "TXT: NONE" means no TXT record, TIMEOUT makes the remaining types time out.

The suite is read from the installed package at test time, never copied here. The rfc4408
suite of the same package runs too, as an extra. Each scenario runs twice: with the fake
DNS answering inside the lookups, and answering later, as the event loop does."""
import gzip
import os
import subprocess
import tempfile

import pytest

yaml = pytest.importorskip("yaml")

SUITE_DIR = "/usr/share/doc/python3-spf"
SPF_TOOL = os.environ.get(
    "SPF_TOOL",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "build", "tests", "unit", "spf-tool"))


def load(name):
    path = os.path.join(SUITE_DIR, name + ".gz")
    if not os.path.exists(path):
        return []
    with gzip.open(path, "rb") as f:
        return list(yaml.safe_load_all(f))


def rdata(entries, name):
    """testspf.py getrdata(): the zone lines of one name."""
    lines, generated, has_txt = [], [], False
    for e in entries:
        if e == "TIMEOUT":
            lines.append(f"{name} TIMEOUT")
            continue
        (t, v), = e.items()
        if t in ("TXT", "SPF"):
            if isinstance(v, str):
                v = [v]
            if t == "TXT":
                has_txt = True
            if v == ["NONE"]:
                continue
            line = f"{name} TXT " + " ".join(s.encode("utf-8").hex() for s in v)
            if t == "SPF":
                generated.append(line.rstrip())
            else:
                lines.append(line.rstrip())
        elif t == "MX":
            lines.append(f"{name} MX {v[1] or '.'}")  # "" is the root
        elif t in ("A", "AAAA", "PTR", "CNAME"):
            for x in (v if isinstance(v, list) else [v]):
                lines.append(f"{name} {t} {x}")
        else:
            raise ValueError(f"unknown record type {t}")
    if not has_txt:
        lines += generated
    return lines


def zone_file(scenario):
    out = []
    for name, entries in (scenario.get("zonedata") or {}).items():
        out += rdata(entries, name.replace("\\", "\\x5c").replace(" ", "\\x20"))
    return "\n".join(out) + "\n"


_results = {}


def run_scenario(suite, index, scenario, mode):
    key = (suite, index, mode)
    if key in _results:
        return _results[key]
    tests = list(scenario["tests"].items())
    with tempfile.NamedTemporaryFile("w", suffix=".zone", delete=False) as z:
        z.write(zone_file(scenario))
    try:
        stdin = "".join(f"{t['host']}\t{t.get('mailfrom', '')}\t{t['helo']}\n"
                        for _, t in tests)
        args = [SPF_TOOL, "--exp", "DEFAULT", "--zone", z.name]
        if mode == "async":
            args.insert(1, "--async")
        out = subprocess.run(args, input=stdin.encode(), capture_output=True, timeout=60,
                             check=True).stdout.decode("utf-8", "replace")
    finally:
        os.unlink(z.name)
    lines = out.split("\n")
    res = {}
    for (tid, _), line in zip(tests, lines):
        result, explanation, problem = line.split("\t")
        res[tid] = (result, explanation, problem)
    _results[key] = res
    return res


def cases(suite):
    out = []
    for i, scenario in enumerate(load(suite)):
        for tid in scenario["tests"]:
            for mode in ("sync", "async"):
                out.append(pytest.param(suite, i, scenario, tid, mode,
                                        id=f"{suite.split('-')[0]}-{tid}-{mode}"))
    return out


def check(suite, index, scenario, tid, mode):
    t = scenario["tests"][tid]
    result, explanation, problem = run_scenario(suite, index, scenario, mode)[tid]
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    assert result in want, f"{tid}: {result} ({problem}), expected {want}: {t.get('description')}"
    if "explanation" in t:
        assert explanation == t["explanation"], f"{tid}: explanation {explanation!r}"


def test_suite_installed():
    assert os.path.exists(os.path.join(SUITE_DIR, "rfc7208-tests.yml.gz")), \
        "install python3-spf (scripts/deps.sh test)"


@pytest.mark.parametrize("suite,index,scenario,tid,mode", cases("rfc7208-tests.yml"))
def test_rfc7208(suite, index, scenario, tid, mode):
    check(suite, index, scenario, tid, mode)


@pytest.mark.parametrize("suite,index,scenario,tid,mode", cases("rfc4408-tests.yml"))
def test_rfc4408(suite, index, scenario, tid, mode):
    check(suite, index, scenario, tid, mode)

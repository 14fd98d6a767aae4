"""`yubin quickstart` run into a test's directory, and its output parsed: the generated
password and the zone-file records (name, type, data strings), and the config it wrote
rewritten to free loopback ports so that `yubin serve` runs it."""
import os
import re
import subprocess

from conftest import SANITIZER_MARKS, YUBIN_BIN, free_port

DOMAIN = "example.test"
HOST = "mail.example.test"
ADDRESS = "alice@example.test"
LISTENERS = ("smtp_listen", "submission_listen", "submissions_listen", "imap_listen",
             "imaps_listen", "pop3_listen", "pop3s_listen", "http_listen", "https_listen")


def run_quickstart(server, *extra):
    """Quickstart into server's config path and data directory (the config the fixture
    wrote is removed first). Returns (CompletedProcess, stdout text)."""
    os.unlink(server.config_path)
    p = subprocess.run([YUBIN_BIN, "quickstart", ADDRESS, "--config", server.config_path,
                        "--data-dir", server.data_dir] + list(extra),
                       capture_output=True, timeout=120)
    for mark in SANITIZER_MARKS:
        assert mark.encode() not in p.stderr, p.stderr.decode()
    return p, p.stdout.decode()


def strip_comment(line):
    """The line without its zone-file comment (a ';' outside quotes and what follows)."""
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            return line[:i]
    return line


def parse_zone(out):
    """[(name, type, [data...])] of the zone-file lines (not the commented ones); TXT data
    as its strings, other types as their fields. Multi-line "( ... )" records joined."""
    records = []
    text = re.sub(r"IN TXT \(\s*(.*?)\s*\)", lambda m: "IN TXT " + " ".join(m.group(1).split()),
                  out, flags=re.S)
    for line in text.splitlines():
        line = strip_comment(line)
        m = re.match(r"^(\S+)\.\s+IN\s+(\S+)\s+(.*)$", line.strip())
        if not m:
            continue
        name, rtype, data = m.group(1), m.group(2), m.group(3)
        if rtype == "TXT":
            records.append((name, rtype, re.findall(r'"([^"]*)"', data)))
        else:
            records.append((name, rtype, [d.rstrip(".") if d != "." else d
                                          for d in data.split()]))
    return records


def password_of(out):
    m = re.search(r"^;\s+password:\s+(\S+)$", out, re.M)
    assert m, out
    return m.group(1)


def set_keys(server, values):
    """Sets keys in the config quickstart wrote (replacing the line, or its commented
    example, or appending), keeping every comment."""
    with open(server.config_path) as f:
        text = f.read()
    for key, value in values.items():
        line = "%s = %s" % (key, value)
        text, n = re.subn(r"^#?%s = .*$" % key, line, text, count=1, flags=re.M)
        if n == 0:
            text += line + "\n"
    with open(server.config_path, "w") as f:
        f.write(text)


def use_test_ports(server, extra=None):
    """Rewrites the listeners of the config quickstart wrote to free 127.0.0.1 ports (and
    sets the keys of extra), keeping every comment; updates server.settings so that the
    fixture's start() waits for them."""
    ports = {k: free_port() for k in LISTENERS}
    values = {k: "127.0.0.1:%d" % p for k, p in ports.items()}
    values["run_as_user"] = ""  # a test running as root stays root
    values["acme"] = "no"  # offline: no Let's Encrypt to ask
    values.update(extra or {})
    set_keys(server, values)
    server.settings = dict(values)
    server.smtp_port = ports["smtp_listen"]
    server.submission_port = ports["submission_listen"]
    server.submissions_port = ports["submissions_listen"]
    return ports


def dnsmasq_args(records, skip=()):
    """dnsmasq options serving records (as parse_zone gives them). An A record becomes a
    --host-record (which also answers its PTR); types in skip are left out."""
    args = []
    hosts = set()
    for name, rtype, data in records:
        if rtype in skip:
            continue
        if rtype == "A":
            args.append("--host-record=%s,%s" % (name, data[0]))
            hosts.add(data[0])
        elif rtype == "MX":
            args.append("--mx-host=%s,%s,%s" % (name, data[1], data[0]))
        elif rtype == "TXT":
            # each argument after the name is one string (no quotes: dnsmasq keeps them);
            # none of ours holds a comma
            assert not any("," in s for s in data), data
            args.append("--txt-record=%s,%s" % (name, ",".join(data)))
        elif rtype == "SRV":
            prio, weight, port, target = data
            args.append("--srv-host=%s,%s,%s,%s,%s" % (name, target, port, prio, weight))
        elif rtype == "CNAME":
            args.append("--cname=%s,%s" % (name, data[0]))
        elif rtype == "PTR":
            pass  # the --host-record of the A record answers it
    return args

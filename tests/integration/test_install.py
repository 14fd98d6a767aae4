"""`make install` and `make uninstall` (docs/operations.md): the files, their modes, the
`sendmail` link that queues a message into a running server's maildrop, man pages that
render without warnings and name every config key, a systemd unit that passes
`systemd-analyze verify` (skipped without systemd), and alert rules that parse and use
only the metrics docs/operations.md lists."""
import os
import re
import shutil
import stat
import subprocess

import pytest
import yaml

from conftest import REPO, YUBIN_BIN
from helpers import wait_until

FILES = {  # path under DESTDIR (PREFIX=/usr/local) -> mode
    "usr/local/sbin/yubin": 0o755,
    "usr/local/share/man/man8/yubin.8": 0o644,
    "usr/local/share/man/man5/yubin.conf.5": 0o644,
    "usr/local/lib/systemd/system/yubin.service": 0o644,
    "usr/local/lib/sysusers.d/yubin.conf": 0o644,
    "usr/local/lib/tmpfiles.d/yubin.conf": 0o644,
    "usr/local/share/yubin/prometheus/yubin-alerts.yml": 0o644,
}


def make(*args):
    p = subprocess.run(["make", "--no-print-directory", "-C", REPO,
                        "BUILD=" + os.path.dirname(os.path.abspath(YUBIN_BIN))] + list(args),
                       capture_output=True, timeout=300)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()
    return p


def tree(root):
    out = set()
    for d, dirs, files in os.walk(root):
        for n in files:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


@pytest.fixture
def installed(tmp_path):
    dest = tmp_path / "dest"
    make("install", "DESTDIR=%s" % dest)
    return str(dest)


def test_install_lays_out_the_files_and_uninstall_removes_them(installed):
    assert tree(installed) == set(FILES) | {"usr/local/sbin/sendmail"}
    for path, mode in FILES.items():
        st = os.lstat(os.path.join(installed, path))
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == mode, (path, oct(st.st_mode))
    assert os.readlink(os.path.join(installed, "usr/local/sbin/sendmail")) == "yubin"
    unit = open(os.path.join(installed, "usr/local/lib/systemd/system/yubin.service")).read()
    assert "ExecStart=/usr/local/sbin/yubin -c /etc/yubin/yubin.conf serve" in unit
    assert "ReadWritePaths=/var/lib/yubin" in unit and "@" not in unit.replace("@system", "")
    for key in ("Type=notify", "ProtectSystem=strict", "NoNewPrivileges=yes",
                "AmbientCapabilities=CAP_NET_BIND_SERVICE", "PrivateTmp=yes", "ProtectHome=yes"):
        assert key in unit, key
    sysusers = open(os.path.join(installed, "usr/local/lib/sysusers.d/yubin.conf")).read()
    assert re.search(r"^u yubin - .* /var/lib/yubin", sysusers, re.M), sysusers
    make("uninstall", "DESTDIR=%s" % installed)
    assert tree(installed) == set()


def test_the_sendmail_link_queues_into_the_server(installed, yubin_factory):
    server = yubin_factory()
    env = dict(os.environ, YUBIN_CONFIG=server.config_path)
    p = subprocess.run([os.path.join(installed, "usr/local/sbin/sendmail"), "-t"],
                       input=b"To: alice@example.test\nSubject: via the link\n\nhello\n",
                       env=env, capture_output=True, timeout=60)
    assert p.returncode == 0, p
    assert wait_until(lambda: server.count("alice@example.test") == 1, timeout=20), \
        server.log_tail()
    assert b"Subject: via the link" in server.messages("alice@example.test")[0]


@pytest.mark.parametrize("page", ["man8/yubin.8", "man5/yubin.conf.5"])
def test_man_pages_render_without_warnings(installed, page):
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    path = os.path.join(installed, "usr/local/share/man", page)
    p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, timeout=60,
                       env=dict(os.environ, MANWIDTH="80"))
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()
    text = re.sub(r".\x08", "", p.stdout.decode())  # the overstrike of bold and underline
    assert "NAME" in text and "SEE ALSO" in text
    if page.endswith("yubin.conf.5"):
        # every key `yubin check` prints is in the page (scripts/gen-man-conf.py)
        out = subprocess.run([YUBIN_BIN, "-c", "/dev/null", "check"], capture_output=True,
                             timeout=60).stdout.decode()
        keys = re.findall(r"^([a-z0-9_]+) =", out, re.M)
        assert len(keys) > 50
        flat = re.sub(r"\u2010\s*|-\n\s*", "", text)  # words hyphenated at line ends
        missing = [k for k in keys if k not in flat]
        assert not missing, missing
    else:
        for cmd in ("serve", "reload", "sendmail", "SIGHUP"):
            assert cmd in text


def test_unit_passes_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path / "root"
    # a PREFIX of its own, so that the unit's ExecStart= names a file that exists
    make("install", "PREFIX=%s/usr" % root, "SYSCONFDIR=%s/etc" % root,
         "LOCALSTATEDIR=%s/var" % root)
    unit = "%s/usr/lib/systemd/system/yubin.service" % root
    p = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True,
                       timeout=120)
    assert p.returncode == 0 and b"yubin.service" not in p.stderr, p.stderr.decode()
    make("uninstall", "PREFIX=%s/usr" % root)


def test_alert_rules_parse_and_use_documented_metrics():
    with open(os.path.join(REPO, "contrib", "yubin-alerts.yml")) as f:
        rules = yaml.safe_load(f)
    with open(os.path.join(REPO, "docs", "operations.md")) as f:
        doc = f.read()
    documented = set(re.findall(r"`(yubin_[a-z_]+)`", doc))
    alerts = {}
    for group in rules["groups"]:
        for r in group["rules"]:
            assert set(r) >= {"alert", "expr", "labels", "annotations"}, r
            alerts[r["alert"]] = r["expr"]
            for metric in re.findall(r"\b(yubin_[a-z_]+)", r["expr"]):
                assert metric in documented, (r["alert"], metric)
    assert {"YubinQueueGrowing", "YubinDeliveriesFailing",
            "YubinCertificateExpiring"} <= set(alerts)

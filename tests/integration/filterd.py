"""Filter daemons for the milter and clamd tests: clamd with a one-line signature for the
EICAR string (ClamAV's own database cannot be downloaded offline), clamav-milter, and the
scripted milter (scripted_milter.py). Each runs in the foreground from a private directory;
the fixture that starts one stops it by its pid. docs/filters.md "Running the filter daemons offline"."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from conftest import free_port

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
EICAR_SIG = "Yubin.Test.EICAR-NDB.UNOFFICIAL"
HERE = os.path.dirname(os.path.abspath(__file__))


def wait_listening(check, proc, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, proc.returncode))
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError("%s did not start" % what)


def tcp_open(port):
    def check():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    return check


def unix_open(path):
    def check():
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()
    return check


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chown_tree(path, user):
    if os.getuid() != 0:
        return
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


class Clamd:
    """clamd on a unix socket and a TCP port, database: one .ndb line for EICAR."""

    def __init__(self):
        # the daemon drops to its user: a private directory under /tmp it can reach
        # (pytest's tmp_path sits under a 0700 directory)
        workdir = self.dir = tempfile.mkdtemp(prefix="yubin-clamd-")
        os.chmod(workdir, 0o755)
        os.makedirs(os.path.join(workdir, "db"), exist_ok=True)
        os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
        with open(os.path.join(workdir, "db", "yubin-test.ndb"), "w") as f:
            f.write("Yubin.Test.EICAR-NDB:0:*:%s\n" % b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE".hex())
        self.port = free_port()
        self.sock = os.path.join(workdir, "clamd.sock")
        conf = os.path.join(workdir, "clamd.conf")
        user = "clamav" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        with open(conf, "w") as f:
            f.write("TCPAddr 127.0.0.1\nTCPSocket %d\nLocalSocket %s\nLocalSocketMode 666\n"
                    "DatabaseDirectory %s/db\nTemporaryDirectory %s/tmp\nLogFile %s/clamd.log\n"
                    "Foreground yes\nUser %s\nSelfCheck 0\nStreamMaxLength 1M\n"
                    % (self.port, self.sock, workdir, workdir, workdir, user))
        chown_tree(workdir, user)
        os.chmod(workdir, 0o755)
        self.proc = subprocess.Popen(["clamd", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening(unix_open(self.sock), self.proc, "clamd")
        wait_listening(tcp_open(self.port), self.proc, "clamd")

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class ClamavMilter:
    def __init__(self, clamd):
        workdir = self.dir = tempfile.mkdtemp(prefix="yubin-clamav-milter-")
        os.chmod(workdir, 0o755)
        self.port = free_port()
        conf = os.path.join(workdir, "clamav-milter.conf")
        user = "clamav" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        with open(conf, "w") as f:
            f.write("MilterSocket inet:%d@127.0.0.1\nClamdSocket unix:%s\nUser %s\n"
                    "Foreground yes\nTemporaryDirectory %s\nLogFile %s/milter.log\n"
                    "OnClean Accept\nOnInfected Reject\nOnFail Defer\n"
                    "RejectMsg \"Virus found: %%v\"\nAddHeader Replace\n"
                    % (self.port, clamd.sock, user, workdir, workdir))
        chown_tree(workdir, user)
        self.proc = subprocess.Popen(["clamav-milter", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening(tcp_open(self.port), self.proc, "clamav-milter")

    def stop(self):
        # like every libmilter filter it lingers on SIGTERM; it keeps no state
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def have(*programs):
    return all(shutil.which(p) for p in programs)


class Rspamd:
    """rspamd with its milter proxy (self_scan), stock rules, no Redis, DNS pointed at a
    port where nothing answers (lookups fail fast; the tests need none). Its compiled
    hyperscan/TLD cache is kept in /tmp/yubin-rspamd-cache between runs: a cold start takes
    13-18 s, a warm one about 1 s (docs/filters.md)."""

    CACHE = "/tmp/yubin-rspamd-cache"

    def __init__(self, lua=None, local_d=None):
        """lua: the text of a rspamd.local.lua (rules of the test's own); local_d: {file
        name: text} more local.d files."""
        workdir = self.dir = tempfile.mkdtemp(prefix="yubin-rspamd-")
        os.chmod(workdir, 0o755)
        local = os.path.join(workdir, "local", "local.d")
        os.makedirs(local)
        for d in ("run", "log"):
            os.makedirs(os.path.join(workdir, d))
        os.makedirs(self.CACHE, exist_ok=True)
        self.port = free_port()
        self.normal_port = free_port()
        self.controller_port = free_port()
        dns_port = free_port(udp=True)
        with open(os.path.join(workdir, "rspamd.conf"), "w") as f:
            f.write('''.include "$CONFDIR/common.conf"
options {
  pidfile = "$RUNDIR/rspamd.pid";
  .include "$CONFDIR/options.inc"
  .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging { type = "file"; filename = "$LOGDIR/rspamd.log"; level = "info"; }
worker "normal" { bind_socket = "127.0.0.1:%d"; .include "$CONFDIR/worker-normal.inc"; count = 1; }
worker "controller" { bind_socket = "127.0.0.1:%d"; .include "$CONFDIR/worker-controller.inc"; }
worker "rspamd_proxy" {
  bind_socket = "127.0.0.1:%d";
  milter = yes;
  timeout = 120s;
  upstream "local" { default = yes; self_scan = yes; }
  count = 1;
  spam_header = "X-Spam";
  reject_message = "Spam message rejected";
}
''' % (self.normal_port, self.controller_port, self.port))
        with open(os.path.join(local, "options.inc"), "w") as f:
            f.write('dns { nameserver = ["127.0.0.1:%d"]; timeout = 0.2s; retransmits = 1; }\n'
                    % dns_port)
        with open(os.path.join(local, "milter_headers.conf"), "w") as f:
            f.write('use = ["x-spamd-bar", "x-spam-level", "x-spam-status", '
                    '"authentication-results", "spam-header"];\n'
                    'extended_spam_headers = true;\nskip_local = false;\n'
                    'skip_authenticated = false;\n')
        for name, text in (local_d or {}).items():
            with open(os.path.join(local, name), "w") as f:
                f.write(text)
        if lua is not None:
            with open(os.path.join(workdir, "local", "rspamd.local.lua"), "w") as f:
                f.write(lua)
        user = "_rspamd" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        chown_tree(workdir, user)
        chown_tree(self.CACHE, user)
        args = ["rspamd", "-f", "-c", os.path.join(workdir, "rspamd.conf"),
                "--var=LOCAL_CONFDIR=" + os.path.join(workdir, "local"),
                "--var=DBDIR=" + self.CACHE, "--var=RUNDIR=" + os.path.join(workdir, "run"),
                "--var=LOGDIR=" + os.path.join(workdir, "log")]
        if os.getuid() == 0:
            args[2:2] = ["-u", user, "-g", user]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(tcp_open(self.port), self.proc, "rspamd", timeout=90)
        wait_listening(tcp_open(self.normal_port), self.proc, "rspamd", timeout=90)
        # the controller (learning, /stat) may come up after the scanners
        wait_listening(tcp_open(self.controller_port), self.proc, "rspamd", timeout=90)

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "rspamd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

"""Filter daemons for the milter and clamd tests: clamd with a one-line signature for the
EICAR string (ClamAV's own database cannot be downloaded offline), clamav-milter, and the
scripted milter (scripted_milter.py). Each runs in the foreground from a private directory;
the fixture that starts one stops it by its pid. ../shared/FILTERS.md 2 and 6."""
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
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def have(*programs):
    return all(shutil.which(p) for p in programs)

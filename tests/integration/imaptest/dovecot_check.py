#!/usr/bin/python3
"""Validate the imaptest runner against a real Dovecot: start a private Dovecot instance on a
free 127.0.0.1 port (own base_dir, passwd-file user, Maildir under a temporary directory),
run the given groups (default: all) with runner.main(), stop Dovecot by its PID.

  /usr/bin/python3 tests/integration/imaptest/dovecot_check.py [--test NAME ...] [-v]"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner  # noqa: E402

USER, PASSWORD = "imaptest@example.test", "imaptest-pass"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
mailbox_list_index = yes
imap_urlauth_host = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap-urlauth-login {{
  unix_listener imap-urlauth {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_dovecot(d):
    port = free_port()
    nobody = pwd.getpwnam("nobody")
    for sub in ("run", "state", "mail", "home"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for sub in ("mail", "home"):
        os.chown(os.path.join(d, sub), nobody.pw_uid, nobody.pw_gid)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "passwd"), "w") as f:
        f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(CONFIG.format(d=d, port=port, uid=nobody.pw_uid, gid=nobody.pw_gid))
    proc = subprocess.Popen(["dovecot", "-c", conf, "-F"], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "stderr.log"), "wb"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("dovecot exited: " + open(os.path.join(d, "stderr.log")).read())
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            if s.recv(100).startswith(b"* OK"):
                s.close()
                return proc, port
            s.close()
        except OSError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("dovecot did not start")


def main():
    d = tempfile.mkdtemp(prefix="imaptest-dovecot-", dir="/tmp")
    proc, port = start_dovecot(d)
    try:
        rc = runner.main(["--host", "127.0.0.1", "--port", str(port), "--user", USER,
                          "--pass", PASSWORD] + sys.argv[1:])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if os.environ.get("KEEP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())

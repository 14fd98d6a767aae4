"""A private rspamd 3.4 as a Postfix milter, for `bench/smtp-in --auth`: the way Postfix admins
add SPF, DKIM and DMARC checks (docs/filters.md "Running the filter daemons offline").
Debian's stock rules from /etc/rspamd; everything else (sockets, db, logs, local.d) under
root. SPF, DKIM and DMARC are checked for loopback clients too (`check_local = true`), DMARC
p=reject failures are rejected, and DNS goes to the bench's dnsmasq."""

import os
import pwd
import subprocess

from benchutil import (BenchError, free_ports, log, own_session_started, own_session_stopped,
                       stop_pid, wait_until)

RSPAMD = '/usr/bin/rspamd'


class Rspamd:
    """r = Rspamd(root, dns='127.0.0.1:PORT', dbdir=...); r.start(); r.milter_socket; r.stop().
    dbdir: where rspamd keeps its compiled hyperscan/TLD cache (about 90 MB): give one that
    outlives the rounds so every start after the first is warm (1 s instead of 15 s)."""

    def __init__(self, root, dns, dbdir, log_level=None, proxy_count=1):
        self.root = root
        self.proxy_count = proxy_count  # rspamd_proxy processes (each scans itself)
        # 'notice': one line per message with its scan time ("time: 3.21ms"), for
        # bench/smtp-in --milter; default $BENCH_RSPAMD_LOG or 'warning'
        self.log_level = log_level or os.environ.get('BENCH_RSPAMD_LOG', 'warning')
        self.log_path = os.path.join(root, 'log', 'rspamd.log')
        self.controller_port = None
        self.dns = dns
        self.dbdir = dbdir
        self.run_dir = os.path.join(root, 'run')
        self.log_dir = os.path.join(root, 'log')
        self.local = os.path.join(root, 'local')
        self.conf = os.path.join(root, 'rspamd.conf')
        self.milter_socket = os.path.join(self.run_dir, 'milter.sock')
        self.proc = None

    def _write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    def setup(self):
        normal, controller = free_ports(2)
        self.controller_port = controller
        for d in (self.root, self.run_dir, self.log_dir, self.dbdir,
                  os.path.join(self.local, 'local.d')):
            os.makedirs(d, exist_ok=True)
        pw = pwd.getpwnam('_rspamd')
        for d in (self.run_dir, self.log_dir, self.dbdir):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o755)
        self._write(self.conf, '''.include "$CONFDIR/common.conf"
options {
  pidfile = "$RUNDIR/rspamd.pid";
  .include "$CONFDIR/options.inc"
  .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging { type = "file"; filename = "$LOGDIR/rspamd.log"; level = "%s"; }
worker "normal" { bind_socket = "127.0.0.1:%d"; .include "$CONFDIR/worker-normal.inc"; count = 1; }
worker "controller" { bind_socket = "127.0.0.1:%d"; .include "$CONFDIR/worker-controller.inc"; }
worker "rspamd_proxy" {
  bind_socket = "%s mode=0666";
  milter = yes;
  timeout = 120s;
  upstream "local" { default = yes; self_scan = yes; }
  count = %d;
  spam_header = "X-Spam";
  reject_message = "Spam message rejected";
}
''' % (self.log_level, normal, controller,
               self.milter_socket, self.proxy_count))
        ld = os.path.join(self.local, 'local.d')
        self._write(os.path.join(ld, 'options.inc'),
                    'dns { nameserver = ["%s"]; timeout = 1s; retransmits = 1; }\n' % self.dns)
        self._write(os.path.join(ld, 'milter_headers.conf'),
                    'use = ["authentication-results", "x-spam-status"];\n'
                    'skip_local = false;\nskip_authenticated = false;\n')
        for mod in ('spf', 'dkim'):
            self._write(os.path.join(ld, mod + '.conf'), 'check_local = true;\n'
                        'check_authed = true;\n')
        # the senders are not ours: nothing to sign (rspamd would try for local clients)
        self._write(os.path.join(ld, 'dkim_signing.conf'), 'enabled = false;\n')
        self._write(os.path.join(ld, 'dmarc.conf'), 'check_local = true;\ncheck_authed = true;\n'
                    'actions { quarantine = "add header"; reject = "reject"; }\n')

    def start(self, timeout=90):
        self.setup()
        out = open(os.path.join(self.root, 'rspamd.out'), 'ab')
        self.proc = subprocess.Popen(
            [RSPAMD, '-f', '-u', '_rspamd', '-g', '_rspamd', '-c', self.conf,
             '--var=LOCAL_CONFDIR=' + self.local, '--var=DBDIR=' + self.dbdir,
             '--var=RUNDIR=' + self.run_dir, '--var=LOGDIR=' + self.log_dir],
            # its own session, as a daemon (see Yubin.start in yubin.py)
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        out.close()
        own_session_started(self.proc)

        def ready():
            if self.proc.poll() is not None:
                raise BenchError('rspamd exited at start: see %s' % self.log_dir)
            return os.path.exists(self.milter_socket)
        wait_until(ready, timeout, 'rspamd milter socket')
        log('rspamd started (pid %d, milter %s)' % (self.proc.pid, self.milter_socket))

    def root_pids(self):
        return [self.proc.pid] if self.proc is not None else []

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            stop_pid(self.proc.pid, timeout=20)
            self.proc.wait()
        if self.proc is not None:
            own_session_stopped(self.proc)

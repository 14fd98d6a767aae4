#!/usr/bin/python3
"""bench/pop3: POP3 download-and-delete, yubin vs Dovecot's pop3 (issue 3), same run, same client.

Each round starts each system fresh, fills mailboxes over SMTP (yubin) or LMTP (Dovecot) with
smtp-source (not timed), then times bench/pop3/pop3load.c (compiled here with cc): log in, STAT,
LIST, RETR+DELE every message with commands pipelined (RFC 2449 PIPELINING), QUIT. Two loads:
'single' (one client, one account, 5,000 x 4 KiB) and 'multi' (50 clients at once, each on its
own account with 200 x 4 KiB). Systems alternate order every round. See bench/pop3/README.md."""

import argparse
import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True   # keep bench/lib free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from benchutil import (BenchError, fmt_table, free_ports, log,  # noqa: E402
                       machine_busy_seconds, median, process_tree, set_fd_limit,
                       tree_cpu_seconds, vm_hwm_kib)
from dovecot import Dovecot  # noqa: E402
from smtpload import fill  # noqa: E402
import yubin as yubin_mod  # noqa: E402

DOMAIN = 'bench.test'


class DovecotCrypt(Dovecot):
    """Dovecot with the same password hash yubin stores ({CRYPT} yescrypt $y$j9T$, verified by
    libxcrypt's crypt()), so both servers pay the same price per login."""

    def __init__(self, *args, password_hash=None, **kw):
        super().__init__(*args, **kw)
        self.password_hash = password_hash

    def _write_config(self):
        super()._write_config()
        if not self.password_hash:
            return
        with open(os.path.join(self.root, 'users'), 'w') as f:
            for a in self.addresses():
                f.write('%s:{CRYPT}%s::::::\n' % (a, self.password_hash))


class System:
    """One server under test: start/stop, fill a mailbox, count what is left."""

    def __init__(self, kind, root, users, binary, password_hash):
        self.kind = kind
        self.root = root
        if kind == 'yubin':
            self.smtp_port, self.pop3_port = free_ports(2)
            self.server = yubin_mod.Yubin(binary, root, users, DOMAIN, smtp_port=self.smtp_port,
                                          pop3_port=self.pop3_port)
        else:
            self.pop3_port = free_ports(1)[0]
            self.server = DovecotCrypt(root, users, DOMAIN, pop3_port=self.pop3_port,
                                       password_hash=password_hash)
        self.name = kind

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        self.server.start()

    def stop(self):
        self.server.stop()

    def root_pids(self):
        return self.server.root_pids()

    def fill(self, accounts, per_account, size, parallel):
        """per_account messages of size payload bytes into each account, `parallel` smtp-source
        sessions at once in all (not timed)."""
        if self.kind == 'yubin':
            target, lmtp = '127.0.0.1:%d' % self.smtp_port, False
        else:
            target, lmtp = 'unix:' + self.server.lmtp_socket, True
        if len(accounts) == 1:
            fill(target, accounts[0], per_account, size, lmtp=lmtp, sessions=parallel)
            return
        errors = []
        todo = list(accounts)
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    if not todo or errors:
                        return
                    a = todo.pop()
                try:
                    fill(target, a, per_account, size, lmtp=lmtp, sessions=1)
                except BenchError as e:
                    with lock:
                        errors.append(e)
        threads = [threading.Thread(target=worker) for _ in range(min(parallel, len(accounts)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def count_messages(self):
        return self.server.count_messages()

    def peak_rss_kib(self):
        return vm_hwm_kib(self.server.pid) if self.kind == 'yubin' else None


def _comm_state(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None, None
    return data[data.index('(') + 1:data.rindex(')')], data.rsplit(')', 1)[1].split()[0]


def settle(root_pids, timeout=10.0):
    """Waits (bounded) until no session process is left in the server's tree: Dovecot's pop3
    processes exit after QUIT and are reaped by its master, and only then does their CPU time
    reach the master's cutime (a zombie's own times are not reliable). yubin has none."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for pid in process_tree(root_pids):
            comm, state = _comm_state(pid)
            if state == 'Z' or (comm or '').startswith('pop3'):
                busy = True
                break
        if not busy:
            return True
        time.sleep(0.02)
    return False


class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = args.workdir or tempfile.mkdtemp(prefix='yubin-bench-pop3-', dir='/tmp')
        os.makedirs(self.workdir, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        self.users = ['solo'] + ['m%d' % i for i in range(1, args.clients + 1)]
        self.binary = None
        self.client = None
        self.password_hash = yubin_mod.yescrypt_hash('pw')
        if self.password_hash is None and args.dovecot_scheme == 'crypt':
            raise SystemExit('no yescrypt via Python crypt: run with --dovecot-scheme plain')
        self.rows = []
        self.notes = []

    def compile_client(self):
        self.client = os.path.join(self.workdir, 'pop3load')
        r = subprocess.run(['cc', '-O2', '-Wall', '-Wextra', '-Werror', '-o', self.client,
                            os.path.join(HERE, 'pop3load.c')], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise BenchError('cc pop3load.c failed: %s' % r.stderr[-1000:])

    def run_client(self, system, accounts, expect):
        """Runs pop3load on accounts; returns the measured dict (server CPU over the run)."""
        a = self.args
        cmd = [self.client, '-h', '127.0.0.1', '-p', str(system.pop3_port), '-P', 'pw',
               '-w', str(a.window), '-n', str(expect)] + accounts
        cpu0 = tree_cpu_seconds(system.root_pids())
        busy0 = machine_busy_seconds()
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
        wall = time.monotonic() - t0
        if not settle(system.root_pids()):
            self.notes.append('%s: session processes still there 10 s after the run: its CPU '
                              'figure misses them' % system.kind)
        cpu = tree_cpu_seconds(system.root_pids()) - cpu0
        busy = machine_busy_seconds() - busy0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        if r.returncode != 0:
            raise BenchError('%s: pop3load failed: %s'
                             % (system.kind, (r.stderr or r.stdout)[-800:]))
        per = [l.split() for l in r.stdout.splitlines() if l and not l.startswith('total ')]
        total = [l.split() for l in r.stdout.splitlines() if l.startswith('total ')][0]
        msgs = sum(int(p[1]) for p in per)
        nbytes = sum(int(p[2]) for p in per)
        if msgs != expect * len(accounts) or len(per) != len(accounts):
            raise BenchError('%s: retrieved %d messages, expected %d'
                             % (system.kind, msgs, expect * len(accounts)))
        return {'messages': msgs, 'bytes': nbytes, 'seconds': float(total[1]),
                'wall': wall, 'login_max': max(float(p[3]) for p in per),
                'transfer_max': max(float(p[4]) for p in per),
                'quit_max': max(float(p[5]) for p in per),
                'cpu_ms_per_msg': 1000 * cpu / msgs, 'busy_ms_per_msg': 1000 * busy / msgs,
                'client_ms_per_msg': 1000 * client_cpu / msgs}

    def load(self, system, load, rnd):
        a = self.args
        if load == 'single':
            accounts, per = ['solo@' + DOMAIN], a.messages
        else:
            accounts, per = ['m%d@%s' % (i, DOMAIN) for i in range(1, a.clients + 1)], a.per_client
        log('round %d: %s: filling %d x %d messages...' % (rnd, system.kind, len(accounts), per))
        t = time.monotonic()
        system.fill(accounts, per, a.size, a.fill_sessions)
        have = system.count_messages()
        if have != per * len(accounts):
            raise BenchError('%s: %d messages after the fill, expected %d'
                             % (system.kind, have, per * len(accounts)))
        log('round %d: %s: filled in %.1f s; retrieving...' % (rnd, system.kind,
                                                            time.monotonic() - t))
        os.sync()
        time.sleep(0.5)
        res = self.run_client(system, accounts, per)
        left = system.count_messages()
        if left != 0:
            raise BenchError('%s: %d messages left after QUIT (DELE of all expected)'
                             % (system.kind, left))
        res.update({'round': rnd, 'system': system.kind, 'load': load,
                    'rate': res['messages'] / res['seconds'],
                    'xfer_rate': res['messages'] / res['transfer_max'],
                    'bytes_per_msg': res['bytes'] / res['messages'],
                    'loadavg': os.getloadavg()[0]})
        log('round %d: %s %s: %.0f msg/s, server CPU %.3f ms/msg'
            % (rnd, system.kind, load, res['rate'], res['cpu_ms_per_msg']))
        return res

    def round(self, kind, rnd, loads):
        system = System(kind, os.path.join(self.workdir, 'r%d-%s' % (rnd, kind)), self.users,
                        self.binary,
                        self.password_hash if self.args.dovecot_scheme == 'crypt' else None)
        os.sync()
        out = []
        try:
            system.start()
            for load in loads:
                out.append(self.load(system, load, rnd))
            rss = system.peak_rss_kib()
        finally:
            system.stop()
        for r in out:
            r['peak_rss_kib'] = rss
        if not self.args.keep:
            shutil.rmtree(system.root, ignore_errors=True)
        return out

    def run(self):
        a = self.args
        self.compile_client()
        kinds = []
        if a.only in ('both', 'yubin'):
            self.binary = yubin_mod.find_binary(a.yubin)
            kinds.append('yubin')
        if a.only in ('both', 'dovecot'):
            kinds.append('dovecot')
        loads = [l for l in ('single', 'multi') if a.load in ('both', l)]
        self.loadavg_before = os.getloadavg()
        for rnd in range(1, a.rounds + 1):
            order = kinds if rnd % 2 else list(reversed(kinds))
            for kind in order:
                self.rows.extend(self.round(kind, rnd, loads))
        self.loadavg_after = os.getloadavg()

    def report(self):
        a = self.args
        out = ['bench/pop3: single = 1 client, %d messages x %d B payload; multi = %d clients at '
               'once, %d accounts x %d messages; RETR+DELE pipelined, window %d commands; '
               '%d rounds alternating, fresh fill each round'
               % (a.messages, a.size, a.clients, a.clients, a.per_client, a.window, a.rounds)]
        if hasattr(self, 'loadavg_after'):
            out.append('load average before: %.2f %.2f %.2f, after: %.2f %.2f %.2f (2 cores, '
                       'shared machine)' % (self.loadavg_before + self.loadavg_after))
        rows = [[r['round'], r['system'], r['load'], r['messages'], '%.3f' % r['seconds'],
                 '%.0f' % r['rate'], ('%.0f' % r['xfer_rate']) if r['load'] == 'single' else '-',
                 '%.0f' % r['bytes_per_msg'],
                 '%.3f' % r['login_max'], '%.3f' % r['quit_max'],
                 '%.3f' % r['cpu_ms_per_msg'], '%.3f' % r['client_ms_per_msg'],
                 '%.3f' % r['busy_ms_per_msg'], '%.2f' % r['loadavg'],
                 '-' if not r['peak_rss_kib'] else '%.1f' % (r['peak_rss_kib'] / 1024)]
                for r in self.rows]
        out.append(fmt_table(rows, ['round', 'system', 'load', 'msgs', 'seconds', 'msg/s',
                                    'xfer msg/s', 'B/msg', 'login s', 'QUIT s',
                                    'server CPU ms/msg',
                                    'client CPU ms/msg', 'machine busy ms/msg', 'loadavg',
                                    'yubin RSS MiB']))
        med = {}
        for load in ('single', 'multi'):
            for name in ('dovecot', 'yubin'):
                rs = [r for r in self.rows if r['system'] == name and r['load'] == load]
                if not rs:
                    continue
                m = {k: median([r[k] for r in rs]) for k in
                     ('rate', 'xfer_rate', 'seconds', 'cpu_ms_per_msg', 'busy_ms_per_msg',
                      'client_ms_per_msg')}
                med[(load, name)] = m
                xfer = ('; %.0f msg/s STAT..last DELE' % m['xfer_rate']) if load == 'single' else ''
                out.append('median %-6s %-8s %7.0f msg/s (%.3f s%s), server CPU %.3f ms/msg, '
                           'client CPU %.3f ms/msg'
                           % (load, name, m['rate'], m['seconds'], xfer, m['cpu_ms_per_msg'],
                              m['client_ms_per_msg']))
            if (load, 'yubin') in med and (load, 'dovecot') in med:
                y, d = med[(load, 'yubin')], med[(load, 'dovecot')]
                out.append('ratio %-6s yubin / dovecot: %.2fx msg/s (goal >= 2x); dovecot uses '
                           '%.2fx yubin\'s CPU per message'
                           % (load, y['rate'] / d['rate'], d['cpu_ms_per_msg'] /
                              max(y['cpu_ms_per_msg'], 1e-9)))
        for n in self.notes:
            out.append('NOTE: ' + n)
        print('\n'.join(out), flush=True)
        if a.json:
            with open(a.json, 'w') as f:
                json.dump({'rows': self.rows, 'args': vars(a), 'notes': self.notes,
                           'medians': {'%s/%s' % k: v for k, v in med.items()}}, f, indent=1)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--messages', type=int, default=5000, help='single: messages in the mailbox')
    ap.add_argument('--size', type=int, default=4096, help='payload bytes per message (-l)')
    ap.add_argument('--clients', type=int, default=50, help='multi: clients = accounts')
    ap.add_argument('--per-client', type=int, default=200, help='multi: messages per account')
    ap.add_argument('--window', type=int, default=64,
                    help='commands in flight (RETR and DELE count one each, max 64)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--load', choices=('both', 'single', 'multi'), default='both')
    ap.add_argument('--only', choices=('both', 'yubin', 'dovecot'), default='both')
    ap.add_argument('--dovecot-scheme', choices=('crypt', 'plain'), default='crypt',
                    help='Dovecot password scheme: yescrypt like yubin (default) or {PLAIN}')
    ap.add_argument('--fill-sessions', type=int, default=8, help='smtp-source sessions filling')
    ap.add_argument('--yubin', help='yubin binary (default: $YUBIN_BIN, build-bench/, build/)')
    ap.add_argument('--timeout', type=int, default=300, help='per client run, seconds')
    ap.add_argument('--workdir', help='where state goes (default: a new dir under /tmp)')
    ap.add_argument('--keep', action='store_true', help='keep each round\'s state and logs')
    ap.add_argument('--json', help='also write the results to this file')
    return ap.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit('bench/pop3 must run as root (private Dovecot instance, yubin run_as_user)')
    if not 1 <= args.window <= 64:
        sys.exit('--window must be 1..64')
    pwd.getpwnam('nobody')
    set_fd_limit(4096)
    b = Bench(args)
    log('work directory: %s' % b.workdir)
    rc = 0
    try:
        b.run()
    except (BenchError, subprocess.TimeoutExpired) as e:
        log('FAILED: %s' % e)
        b.notes.append('aborted: %s' % e)
        rc = 1
    b.report()
    if not args.keep and not args.workdir:
        shutil.rmtree(b.workdir, ignore_errors=True)
    return rc


if __name__ == '__main__':
    sys.exit(main())

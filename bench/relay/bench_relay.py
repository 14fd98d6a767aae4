#!/usr/bin/python3
"""bench/relay/bench_relay.py: outbound relay throughput, yubin vs Postfix (issue 5).

smtp-source injects N messages of S bytes from a mynetworks address (127.0.0.1) into the
server, addressed to R recipients at remote.test; the mail must go out over SMTP to Postfix's
smtp-sink on 127.0.0.9. yubin finds it by MX (dns_resolvers = a private dnsmasq serving
"remote.test MX mx.remote.test -> 127.0.0.9", smtp_delivery_port = the sink's port); Postfix
is sent there by transport_maps (remote.test -> smtp:[127.0.0.9]:PORT: Postfix only uses the
system resolver, which cannot be pointed at a private port). Both keep their default
durability and default per-destination concurrency (20). A round's rate is messages / (first
connection .. the sink counting the last message); systems alternate for --rounds rounds;
prints per-round rows, medians and the ratio. --dkim: both sign every message (ed25519-sha256 and
rsa-sha256, the same keys): yubin itself, Postfix through OpenDKIM as a milter. Not a test. Run as root (smtp-sink -u nobody,
postfix). See bench/relay/README.md."""

import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from benchutil import (BenchError, fdatasync_rate, fmt_table, free_port, log,  # noqa: E402
                       machine_busy_seconds, median, process_tree, set_fd_limit, stop_pid,
                       tree_cpu_seconds, vm_hwm_kib)
from durability import SyncTrace, analyze, summarize  # noqa: E402
from postfix import Postfix  # noqa: E402
from smtpload import Load  # noqa: E402
import yubin as yubin_mod  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dkim_setup  # noqa: E402

SINK_IP = '127.0.0.9'


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--messages', type=int, default=10000)
    ap.add_argument('--size', type=int, default=2048, help='smtp-source -l (payload bytes)')
    ap.add_argument('--sessions', type=int, default=20, help='parallel smtp-source lanes')
    ap.add_argument('--recipients', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--reuse', action='store_true', help='smtp-source -d (several msgs/connection)')
    ap.add_argument('--only', choices=('both', 'yubin', 'postfix'), default='both')
    ap.add_argument('--yubin', help='yubin binary (default: $YUBIN_BIN, build-bench/, build/)')
    ap.add_argument('--timeout', type=int, default=600, help='per round, seconds')
    ap.add_argument('--check-messages', type=int, default=0, metavar='N',
                    help='after the rounds, one untimed yubin round of N messages under strace '
                    'checking that every 250 follows a covering sync (bench/lib/durability.py)')
    ap.add_argument('--syscalls', action='store_true',
                    help='profile: attach strace -c -f to yubin in its rounds (slows it down)')
    ap.add_argument('--dkim', action='store_true',
                    help='DKIM-sign (ed25519 + rsa-2048): yubin itself, Postfix via OpenDKIM; '
                    'a probe round per system checks the sink gets both signatures, valid')
    ap.add_argument('--json', help='write the rows and medians to this file')
    ap.add_argument('--keep', action='store_true', help='keep the state under /tmp')
    return ap.parse_args()


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sink:
    """smtp-sink on SINK_IP:port counting messages (-c prints mesg=N after each session)."""

    def __init__(self, root, dump=None):
        self.port = free_port(SINK_IP)
        self.out = os.path.join(root, 'sink.out')
        f = open(self.out, 'wb')
        dump_args = []
        if dump:  # -d: one file per message (the --dkim probe)
            os.makedirs(dump, exist_ok=True)
            os.chmod(dump, 0o777)
            dump_args = ['-d', os.path.join(dump, 'm.')]
        self.proc = subprocess.Popen(['smtp-sink', '-u', 'nobody', '-c'] + dump_args +
                                     ['%s:%d' % (SINK_IP, self.port), '1000'], stdout=f, stderr=f)
        f.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((SINK_IP, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BenchError('smtp-sink did not start')

    def count(self):
        with open(self.out, 'rb') as f:
            f.seek(max(os.path.getsize(self.out) - 200, 0))
            m = re.findall(rb'mesg=(\d+)', f.read())
        return int(m[-1]) if m else 0

    def stop(self):
        stop_pid(self.proc.pid, timeout=10)
        self.proc.wait(timeout=10)


class Dns:
    """dnsmasq on 127.0.0.1:port: remote.test MX 10 mx.remote.test, mx.remote.test A SINK_IP."""

    def __init__(self, root, extra=()):
        self.port = free_udp_port()
        self.proc = subprocess.Popen(
            ['dnsmasq', '--no-daemon', '--port=%d' % self.port, '--listen-address=127.0.0.1',
             '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null',
             '--pid-file=', '--mx-host=remote.test,mx.remote.test,10',
             '--host-record=mx.remote.test,%s' % SINK_IP, '--local=/test/'] + list(extra),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, 'dnsmasq.log'), 'wb'))
        time.sleep(0.3)
        if self.proc.poll() is not None:
            raise BenchError('dnsmasq did not start: see %s/dnsmasq.log' % root)

    def stop(self):
        stop_pid(self.proc.pid, timeout=10)
        self.proc.wait(timeout=10)


class Syscalls:
    """strace -c -f attached to a process tree: syscall counts and times for --syscalls."""

    def __init__(self, pids, path):
        cmd = ['strace', '-c', '-f', '-qq', '-o', path]
        for p in sorted(process_tree(pids)):
            cmd += ['-p', str(p)]
        self.path = path
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop_pid(self.proc.pid, timeout=5)
        with open(self.path) as f:
            return f.read()


class Round:
    """One system, fresh state: DNS (yubin), sink, server; load; wait for the sink."""

    def __init__(self, kind, args, root, keys=None, dump=None):
        self.kind = kind
        self.args = args
        self.root = root
        self.keys = keys  # dkim_setup.Keys: signing on
        self.dump = dump
        os.makedirs(root, exist_ok=True)
        self.sink = self.dns = self.srv = self.dkim = None

    def start(self):
        a = self.args
        self.sink = Sink(self.root, self.dump)
        port = free_port()
        if self.kind == 'yubin':
            self.dns = Dns(self.root, self.keys.dnsmasq_args() if self.keys else ())
            self.srv = yubin_mod.Yubin(yubin_mod.find_binary(a.yubin), self.root, ['bench'],
                                       smtp_port=port,
                                       extra={'dns_resolvers': '127.0.0.1:%d' % self.dns.port,
                                              'smtp_delivery_port': str(self.sink.port)})
            if self.keys:
                self.keys.install_yubin(self.srv.data_dir)
        else:
            main = {'transport_maps': 'inline:{remote.test=smtp:[%s]:%d}' % (SINK_IP,
                                                                           self.sink.port),
                    'relay_domains': 'remote.test'}
            if self.keys:
                self.dkim = [dkim_setup.OpenDKIM(os.path.join(self.root, 'opendkim'), self.keys,
                                                 alg) for alg in ('ed25519', 'rsa')]
                for f in self.dkim:
                    f.start()
                main.update(dkim_setup.postfix_main([f.sock for f in self.dkim]))
            self.srv = Postfix(self.root, port, extra_main=main)
        self.port = port
        self.srv.start()

    def pids(self):
        """The server's process trees, with the signing filter's for Postfix."""
        return self.srv.root_pids() + [f.pid() for f in self.dkim or ()]

    def stop(self):
        for part in [self.srv] + list(self.dkim or ()) + [self.sink, self.dns]:
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # keep stopping the others
                    log('stopping %s: %s' % (type(part).__name__, e))
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def wait_sink(self, n, deadline):
        """Polls the sink until it counted n; returns the time it was seen."""
        while True:
            c = self.sink.count()
            if c >= n:
                return time.time()
            if time.monotonic() > deadline:
                raise BenchError('%s: the sink got %d of %d messages; log: %s'
                                 % (self.kind, c, n, self.srv.log_tail()))
            time.sleep(0.01)

    def load(self, n):
        a = self.args
        rcpts = ['r%d@remote.test' % i for i in range(1, a.recipients + 1)]
        # --dkim: the sender's domain is yubin's mydomains and the filter's signing domain
        sender = 'bench@%s' % dkim_setup.DOMAIN if self.keys else 'bench@sender.test'
        load = Load('127.0.0.1', self.port, rcpts, n, min(a.sessions, n), a.size,
                    sender=sender, reuse=a.reuse, timeout=a.timeout)
        pids = self.pids()
        cpu0 = tree_cpu_seconds(pids)
        busy0 = machine_busy_seconds()
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load.run()
        t_seen = self.wait_sink(n, time.monotonic() + a.timeout)
        cpu = tree_cpu_seconds(pids) - cpu0
        busy = machine_busy_seconds() - busy0
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        elapsed = t_seen - load.t_start
        # a message sent twice would push the count over n: look again a little later
        time.sleep(1.0)
        if self.sink.count() != n:
            raise BenchError('%s: the sink counted %d messages, %d were sent'
                             % (self.kind, self.sink.count(), n))
        return {'system': self.kind, 'messages': n, 'seconds': elapsed, 'rate': n / elapsed,
                'accept_rate': n / (load.t_end - load.t_start),
                'cpu_ms_per_msg': 1000 * cpu / n, 'busy_ms_per_msg': 1000 * busy / n,
                'client_ms_per_msg': 1000 * client / n,
                'peak_rss_kib': vm_hwm_kib(pids[0]) if self.kind == 'yubin' and pids else None}


def dkim_probe(kind, args, root, keys, n=20):
    """--dkim: n messages through kind into a dumping sink; each must carry an ed25519-sha256
    and an rsa-sha256 signature of bench.test that verify (dkimpy, if installed)."""
    dump = root + '-dump'  # Round.stop() removes root
    r = Round(kind, args, root, keys=keys, dump=dump)
    try:
        r.start()
        r.load(n)
    finally:
        r.stop()
    try:
        import dkim
    except ImportError:
        dkim = None

    def dnsfunc(name, timeout=5):
        name = (name.decode() if isinstance(name, bytes) else name).rstrip('.')
        return ''.join(keys.records[name]).encode() if name in keys.records else None

    files = [os.path.join(dump, f) for f in os.listdir(dump)] if os.path.isdir(dump) else []
    if len(files) != n:
        raise BenchError('%s: dkim probe: %d messages dumped, %d sent' % (kind, len(files), n))
    for path in files:
        algs, msg = dkim_setup.check_dump(path)
        if algs != [('ed25519-sha256', 'bench.test'), ('rsa-sha256', 'bench.test')]:
            raise BenchError('%s: dkim probe: %s has signatures %s' % (kind, path, algs))
        if dkim is not None:
            d = dkim.DKIM(msg)
            for i in range(2):
                if not d.verify(idx=i, dnsfunc=dnsfunc):
                    raise BenchError('%s: dkim probe: %s: signature %d does not verify'
                                     % (kind, path, i))
    log('dkim probe: %s: %d messages, each with ed25519-sha256 and rsa-sha256 signatures%s'
        % (kind, n, ', verified by dkimpy' if dkim is not None else ''))
    if not args.keep:
        shutil.rmtree(dump, ignore_errors=True)


def timed_round(kind, args, root, rnd, keys=None):
    r = Round(kind, args, root, keys=keys)
    os.sync()  # the previous round's dirty pages must not be flushed on this round's time
    prof = None
    try:
        r.start()
        time.sleep(1)
        if args.syscalls and kind == 'yubin':
            prof = Syscalls(r.pids(), os.path.join(os.path.dirname(root),
                                                            'strace-c-%d.txt' % rnd))
        log('round %d: %s: %d messages...' % (rnd, kind, args.messages))
        res = r.load(args.messages)
    finally:
        if prof is not None:
            text = prof.stop()
            print('strace -c -f of yubin, round %d:\n%s' % (rnd, text))
        r.stop()
    res['round'] = rnd
    log('round %d: %s: %.0f msg/s (accepted %.0f/s), %.2f ms CPU/msg'
        % (rnd, kind, res['rate'], res['accept_rate'], res['cpu_ms_per_msg']))
    return res


def durability_round(args, root):
    """yubin under strace: every 250 after DATA must follow a sync covering it."""
    r = Round('yubin', args, root)
    trace = os.path.join(os.path.dirname(root), 'strace-check.txt')
    tracer = None
    try:
        r.start()
        tracer = SyncTrace(r.srv.root_pids(), trace)
        tracer.start()
        log('durability check: yubin under strace, %d messages...' % args.check_messages)
        r.load(args.check_messages)
        tracer.stop()
        res = analyze(trace)
    finally:
        if tracer:
            tracer.stop()
        r.stop()
    if not args.keep:
        os.unlink(trace)
    res['ok'] = res['violations'] == 0 and res['replies'] >= args.check_messages
    res['summary'] = summarize(res, args.check_messages)
    return res


def main():
    args = parse_args()
    set_fd_limit(65536)
    work = tempfile.mkdtemp(prefix='yubin-bench-relay-', dir='/tmp')
    os.chmod(work, 0o755)  # run_as_user (nobody) must reach the data directories
    kinds = ['yubin', 'postfix'] if args.only == 'both' else [args.only]
    disk_before = fdatasync_rate(work)
    load_before = os.getloadavg()[0]
    keys = dkim_setup.Keys(os.path.join(work, 'dkim-keys')) if args.dkim else None
    if keys:
        for k in kinds:
            dkim_probe(k, args, os.path.join(work, 'probe-%s' % k), keys)
    rows = []
    for rnd in range(1, args.rounds + 1):
        for k in (kinds if rnd % 2 else kinds[::-1]):
            rows.append(timed_round(k, args, os.path.join(work, '%s-%d' % (k, rnd)), rnd, keys))
    disk_after = fdatasync_rate(work)
    check = durability_round(args, os.path.join(work, 'check')) if args.check_messages else None

    print('bench/relay: %d messages x %d B payload, %d sessions (%s), %d recipients at '
          'remote.test, %d rounds alternating, fresh state each round%s'
          % (args.messages, args.size, args.sessions, 'smtp-source -d' if args.reuse else
             'one connection per message', args.recipients, args.rounds,
             '; DKIM signing on (ed25519-sha256 + rsa-sha256; Postfix: OpenDKIM milter, '
             'its CPU counted)' if args.dkim else ''))
    print('disk: %.0f fdatasync/s (one writer, 4 KiB appends) before the rounds, %.0f after; '
          'load average %.1f before' % (disk_before, disk_after, load_before))
    table = [[str(r['round']), r['system'], '%.0f' % r['rate'], '%.0f' % r['accept_rate'],
              '%.2f' % r['seconds'], '%.2f' % r['cpu_ms_per_msg'], '%.2f' % r['busy_ms_per_msg'],
              '%.2f' % r['client_ms_per_msg'],
              '-' if r['peak_rss_kib'] is None else '%.1f' % (r['peak_rss_kib'] / 1024)]
             for r in rows]
    print(fmt_table(table, ['round', 'system', 'relayed/s', 'accepted/s', 'seconds',
                            'server CPU ms/msg', 'machine busy ms/msg', 'client ms/msg',
                            'RSS MiB']))
    med = {}
    for k in kinds:
        mine = [r for r in rows if r['system'] == k]
        med[k] = {'rate': median([r['rate'] for r in mine]),
                  'accept_rate': median([r['accept_rate'] for r in mine]),
                  'cpu_ms_per_msg': median([r['cpu_ms_per_msg'] for r in mine])}
        print('median %-8s %6.0f msg/s relayed (%.0f/s accepted), server CPU %.2f ms/msg'
              % (k, med[k]['rate'], med[k]['accept_rate'], med[k]['cpu_ms_per_msg']))
    if len(kinds) == 2:
        print('ratio yubin / postfix: %.2fx relayed msg/s (goal >= 3x); CPU per message %.2fx '
              'less' % (med['yubin']['rate'] / med['postfix']['rate'],
                        med['postfix']['cpu_ms_per_msg'] / med['yubin']['cpu_ms_per_msg']))
    if check is not None:
        print('durability (yubin): %s' % check['summary'])
        if check['violations']:
            for v in check.get('examples', [])[:5]:
                print('  %s' % (v,))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'rows': rows, 'medians': med,
                       'check': None if check is None else check['summary']}, f, indent=1)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if check is None or check['ok'] else 1


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BenchError as e:
        print('bench/relay: %s' % e, file=sys.stderr)
        sys.exit(1)

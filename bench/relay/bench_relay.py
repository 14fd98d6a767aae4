#!/usr/bin/python3
"""bench/relay/bench_relay.py: outbound relay throughput, yubin vs Postfix (issue 5).

smtp-source injects N messages of S bytes from a mynetworks address (127.0.0.1) into the
server, addressed to R recipients at remote.test; the mail must go out over SMTP to Postfix's
smtp-sink on 127.0.0.9. yubin finds it by MX (dns_resolvers = a private dnsmasq serving
"remote.test MX mx.remote.test -> 127.0.0.9", smtp_delivery_port = the sink's port); Postfix
is sent there by transport_maps (remote.test -> smtp:[127.0.0.9]:PORT, its own DNS lookups
off, as bench/lib/postfix.py runs it). Both keep their default durability and default
per-destination concurrency (20). A round's rate is messages / (first connection .. the
sink counting the last message); systems alternate for --rounds rounds; prints per-round
rows, medians and the ratio. Not a test. Run as root (smtp-sink -u nobody, postfix)."""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from benchutil import BenchError, fmt_table, free_port, log, median, set_fd_limit  # noqa: E402
from postfix import Postfix  # noqa: E402
from smtpload import Load  # noqa: E402
import yubin as yubin_mod  # noqa: E402

SINK_IP = '127.0.0.9'


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--messages', type=int, default=10000)
    ap.add_argument('--size', type=int, default=2048)
    ap.add_argument('--sessions', type=int, default=20)
    ap.add_argument('--recipients', type=int, default=100)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--only', choices=('both', 'yubin', 'postfix'), default='both')
    ap.add_argument('--yubin', help='yubin binary (default: $YUBIN_BIN, build-bench/, build/)')
    ap.add_argument('--timeout', type=int, default=600, help='per round, seconds')
    ap.add_argument('--keep', action='store_true')
    return ap.parse_args()


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sink:
    """smtp-sink on SINK_IP:port counting messages (-c)."""

    def __init__(self, root):
        self.port = free_port(SINK_IP)
        self.out = os.path.join(root, 'sink.out')
        f = open(self.out, 'wb')
        self.proc = subprocess.Popen(['smtp-sink', '-u', 'nobody', '-c', '%s:%d' % (SINK_IP,
                                      self.port), '1000'], stdout=f, stderr=f)
        f.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((SINK_IP, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise BenchError('smtp-sink did not start')

    def count(self):
        with open(self.out, 'rb') as f:
            f.seek(max(os.path.getsize(self.out) - 200, 0))
            m = re.findall(rb'mesg=(\d+)', f.read())
        return int(m[-1]) if m else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Dns:
    def __init__(self, root):
        self.port = free_udp_port()
        self.proc = subprocess.Popen(
            ['dnsmasq', '--no-daemon', '--port=%d' % self.port, '--listen-address=127.0.0.1',
             '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null',
             '--pid-file=', '--mx-host=remote.test,mx.remote.test,10',
             '--host-record=mx.remote.test,%s' % SINK_IP, '--local=/test/'],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, 'dnsmasq.log'), 'wb'))
        time.sleep(0.3)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def one_round(kind, args, root):
    os.makedirs(root, exist_ok=True)
    sink = Sink(root)
    dns = Dns(root) if kind == 'yubin' else None
    port = free_port()
    rcpts = ['r%d@remote.test' % i for i in range(1, args.recipients + 1)]
    if kind == 'yubin':
        srv = yubin_mod.Yubin(yubin_mod.find_binary(args.yubin), root, ['bench'], smtp_port=port,
                              extra={'dns_resolvers': '127.0.0.1:%d' % dns.port,
                                     'smtp_delivery_port': str(sink.port)})
    else:
        srv = Postfix(root, port, extra_main={
            'transport_maps': 'inline:{remote.test=smtp:[%s]:%d}' % (SINK_IP, sink.port),
            'relay_domains': 'remote.test'})
    try:
        srv.start()
        load = Load('127.0.0.1', port, rcpts, args.messages, args.sessions, args.size)
        load.run()
        deadline = time.monotonic() + args.timeout
        while sink.count() < args.messages:
            if time.monotonic() > deadline:
                raise BenchError('%s: the sink got %d of %d messages; log: %s'
                                 % (kind, sink.count(), args.messages, srv.log_tail()))
            time.sleep(0.02)
        elapsed = time.time() - load.t_start
        return args.messages / elapsed, elapsed
    finally:
        srv.stop()
        sink.stop()
        if dns:
            dns.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def main():
    args = parse_args()
    set_fd_limit(65536)
    work = tempfile.mkdtemp(prefix='yubin-bench-relay-', dir='/tmp')
    os.chmod(work, 0o755)  # run_as_user (nobody) must reach the data directories
    kinds = ['yubin', 'postfix'] if args.only == 'both' else [args.only]
    rates = {k: [] for k in kinds}
    rows = []
    for r in range(args.rounds):
        for k in (kinds if r % 2 == 0 else kinds[::-1]):
            rate, secs = one_round(k, args, os.path.join(work, '%s-%d' % (k, r)))
            rates[k].append(rate)
            rows.append([str(r + 1), k, '%.1f' % secs, '%.0f' % rate])
            log('round %d %s: %.0f msg/s' % (r + 1, k, rate))
    print(fmt_table(rows, ['round', 'system', 'seconds', 'msg/s']))
    for k in kinds:
        print('median %-8s %8.0f msg/s' % (k, median(rates[k])))
    if len(kinds) == 2:
        print('ratio yubin/postfix: %.2f (goal: >= 3)'
              % (median(rates['yubin']) / median(rates['postfix'])))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    try:
        main()
    except BenchError as e:
        print('bench/relay: %s' % e, file=sys.stderr)
        sys.exit(1)

"""The load of `bench/smtp-in --auth`: sender domains with SPF, DKIM and DMARC records served
by a private dnsmasq, and DKIM-signed messages (each one signed twice, rsa-sha256 with a
2048-bit key and ed25519-sha256, by dkimpy) sent over SMTP from 127.0.0.10, an address the
SPF records list and that is not in the server's mynetworks, so every message is checked.

smtp-source cannot send a message of our own, so the load is sent by Python threads: one
connection per message (as smtp-source without -d), `sessions` at a time. Signing costs
dkimpy milliseconds, so a pool of signed messages (distinct Message-IDs, From: domains
taken in turn) is made once and sent round-robin; the verifier does the same work for each
copy (nothing in yubin caches a verdict)."""

import base64
import os
import socket
import subprocess
import threading
import time

from benchutil import BenchError, free_port, log, stop_pid, wait_until

DNSMASQ = '/usr/sbin/dnsmasq'
SOURCE_IP = '127.0.0.10'


class AuthZone:
    """Keys, records and a dnsmasq on 127.0.0.1:<port> for `n` sender domains
    s1.bench-sender.test ... (SPF: ip4:127.0.0.10 -all; DMARC: p=reject; DKIM selectors r2048
    and ed)."""

    def __init__(self, workdir, n_domains=10):
        import dkim  # noqa: F401  (python3-dkim; checked before any work)
        import nacl.signing
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.domains = ['s%d.bench-sender.test' % i for i in range(1, n_domains + 1)]
        rsa = os.path.join(workdir, 'rsa.pem')
        subprocess.run(['openssl', 'genrsa', '-traditional', '-out', rsa, '2048'], check=True,
                       capture_output=True)
        der = subprocess.run(['openssl', 'rsa', '-in', rsa, '-pubout', '-outform', 'DER'],
                             check=True, capture_output=True).stdout
        with open(rsa, 'rb') as f:
            self.rsa_priv = f.read()
        ed = nacl.signing.SigningKey.generate()
        self.ed_seed = base64.b64encode(ed.encode())
        self.txt = {}
        for d in self.domains:
            self.txt[d] = 'v=spf1 ip4:%s -all' % SOURCE_IP
            self.txt['_dmarc.' + d] = 'v=DMARC1; p=reject'
            self.txt['r2048._domainkey.' + d] = 'v=DKIM1; k=rsa; p=' + base64.b64encode(der).decode()
            self.txt['ed._domainkey.' + d] = ('v=DKIM1; k=ed25519; p=' +
                                              base64.b64encode(ed.verify_key.encode()).decode())
        self.port = None
        self.proc = None

    def start(self):
        self.port = free_port()
        # --keep-in-foreground, not --no-daemon: that is debug mode, where TCP queries are
        # served in the main process, and rspamd's idle TCP connections would block it
        args = [DNSMASQ, '--keep-in-foreground', '--port=%d' % self.port,
                '--listen-address=127.0.0.1',
                '--bind-interfaces', '--no-resolv', '--no-hosts', '--conf-file=/dev/null',
                '--pid-file=', '--local=/#/',  # every other name: NXDOMAIN at once
                '--log-queries' if os.environ.get('BENCH_DNS_LOG') else '--log-async',
                '--log-facility=' + os.path.join(self.workdir, 'dnsmasq.log')]
        for name, v in self.txt.items():
            args.append('--txt-record=%s,%s' % (name, ','.join(v[i:i + 255]
                                                             for i in range(0, len(v), 255))))
        # stderr to a file: a pipe nobody reads fills up and blocks dnsmasq mid-run
        self.err_path = os.path.join(self.workdir, 'dnsmasq.err')
        with open(self.err_path, 'ab') as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        wait_until(self._answers, 10, 'dnsmasq answering')
        log('dnsmasq on 127.0.0.1:%d serving %d TXT records for %d sender domains'
            % (self.port, len(self.txt), len(self.domains)))

    def _answers(self):
        if self.proc.poll() is not None:
            with open(self.err_path, errors='replace') as f:
                raise BenchError('dnsmasq exited: %s' % f.read()[-500:])
        q = b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test\x00\x00\x01\x00\x01'
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, ('127.0.0.1', self.port))
            s.recvfrom(512)
            return True
        except OSError:
            return False
        finally:
            s.close()

    @property
    def resolver(self):
        return '127.0.0.1:%d' % self.port

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            stop_pid(self.proc.pid)
            self.proc.wait()

    def signed_pool(self, n, size, rcpt_domain):
        """n messages of about `size` payload bytes, each signed rsa-sha256 then
        ed25519-sha256 (relaxed/relaxed), From: the sender domains in turn. Returns
        [(mail_from, bytes)]."""
        import dkim
        line = b'x' * 76 + b'\r\n'
        body = line * max(1, size // len(line))
        pool = []
        for i in range(n):
            d = self.domains[i % len(self.domains)]
            sender = 'bench%d@%s' % (i, d)
            msg = ('From: Bench <%s>\r\nTo: <u@%s>\r\nSubject: bench %d\r\n'
                   'Date: Thu, 03 Dec 2026 00:00:00 +0000\r\nMessage-ID: <%d.%s@%s>\r\n'
                   'MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n'
                   % (sender, rcpt_domain, i, i, os.urandom(4).hex(), d)).encode() + body
            for sel, priv, alg in ((b'r2048', self.rsa_priv, b'rsa-sha256'),
                                   (b'ed', self.ed_seed, b'ed25519-sha256')):
                sig = dkim.sign(msg, sel, d.encode(), priv, canonicalize=(b'relaxed', b'relaxed'),
                                signature_algorithm=alg)
                msg = sig.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n') + msg
            pool.append((sender, msg))
        return pool


class AuthLoad:
    """Like smtpload.Load (run(), t_start, t_end), sending the pool's messages from
    127.0.0.10, one connection per message, `sessions` connections at a time; recipients in
    turn."""

    def __init__(self, host, port, addresses, messages, sessions, pool, timeout=600):
        self.host = host
        self.port = port
        self.addresses = list(addresses)
        self.messages = messages
        self.sessions = sessions
        self.pool = pool
        self.timeout = timeout
        self.errors = []
        self.t_start = None
        self.t_end = None
        self.lock = threading.Lock()
        self.next = 0

    def _take(self):
        with self.lock:
            i = self.next
            self.next += 1
        return i if i < self.messages else None

    @staticmethod
    def _reply(f):
        while True:
            line = f.readline()
            if not line:
                raise BenchError('connection closed')
            if line[3:4] != b'-':
                return int(line[:3]), line

    def _send(self, i):
        sender, msg = self.pool[i % len(self.pool)]
        rcpt = self.addresses[i % len(self.addresses)]
        s = socket.create_connection((self.host, self.port), timeout=60,
                                     source_address=(SOURCE_IP, 0))
        try:
            f = s.makefile('rb')
            steps = [None, b'EHLO client.bench.test\r\n', b'MAIL FROM:<%s>\r\n' % sender.encode(),
                     b'RCPT TO:<%s>\r\n' % rcpt.encode(), b'DATA\r\n']
            for cmd in steps:
                if cmd is not None:
                    s.sendall(cmd)
                code, line = self._reply(f)
                if code >= 400:
                    raise BenchError('%r: %s' % (cmd, line.decode(errors='replace').strip()))
            s.sendall(msg + b'.\r\n')
            code, line = self._reply(f)
            if code != 250:
                raise BenchError('end of data: %s' % line.decode(errors='replace').strip())
            s.sendall(b'QUIT\r\n')
            self._reply(f)
        finally:
            s.close()

    def _lane(self, deadline):
        while not self.errors:
            i = self._take()
            if i is None:
                return
            if time.monotonic() > deadline:
                self.errors.append('load timed out')
                return
            try:
                self._send(i)
            except (OSError, BenchError) as e:
                self.errors.append('message %d: %s' % (i, e))
                return

    def run(self):
        deadline = time.monotonic() + self.timeout
        threads = [threading.Thread(target=self._lane, args=(deadline,))
                   for _ in range(self.sessions)]
        self.t_start = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.t_end = time.time()
        if self.errors:
            raise BenchError('load failed: ' + '; '.join(self.errors[:3]))
        return self.t_end - self.t_start

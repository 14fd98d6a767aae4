"""The load of `bench/smtp-in --auth`: sender domains with SPF, DKIM and DMARC records served
by a private dnsmasq, and DKIM-signed messages (each one signed twice, rsa-sha256 with a
2048-bit key and ed25519-sha256, by dkimpy) sent over SMTP from 127.0.0.10, an address the
SPF records list and that is not in the server's mynetworks, so every message is checked.

smtp-source cannot send a message of our own, so the load is sent by bench/lib/smtpblast.c:
one connection per message (as smtp-source without -d), `sessions` at a time. Signing costs
dkimpy milliseconds, so a pool of signed messages (distinct Message-IDs, From: domains
taken in turn) is made once and sent round-robin; the verifier does the same work for each
copy (nothing in yubin caches a verdict)."""

import base64
import os
import socket
import subprocess

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
                # dnsmasq gives its own records TTL 0 unless told: nothing could be cached,
                # and a resolver would ask four times per message. Real SPF/DKIM/DMARC
                # records live 300-3600 s; both systems see the same TTL.
                '--local-ttl=300',
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


def plain_pool(n, size, sender='bench@sender.test'):
    """n messages as smtp-source sends them (bench/smtp-in --milter --milter-load smtpblast):
    From/To/Date/Message-Id and `size` bytes of short lines, from the one sender smtp-source
    uses in the other modes, so that rspamd scans what it scans with smtp-source."""
    line = b'La de da de da 1.\r\n'
    body = line * max(1, size // len(line))
    pool = []
    for i in range(n):
        msg = ('From: <%s>\r\nTo: <u@bench.test>\r\nDate: Thu, 03 Dec 2026 00:00:00 +0000\r\n'
               'Message-Id: <%d.%s@client.bench.test>\r\n\r\n'
               % (sender, i, os.urandom(4).hex())).encode() + body
        pool.append((sender, msg))
    return pool


SMTPBLAST_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'smtpblast.c')


def smtpblast_binary(workdir):
    """Compiles bench/lib/smtpblast.c into workdir (once per bench run); returns its path."""
    path = os.path.join(workdir, 'smtpblast')
    if not os.path.exists(path):
        subprocess.run(['cc', '-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', path,
                        SMTPBLAST_SRC], check=True)
    return path


def dot_stuff(msg):
    """RFC 5321 4.5.2: a line that starts with '.' gets one more."""
    stuffed = msg.replace(b'\r\n.', b'\r\n..')
    return b'.' + stuffed if stuffed.startswith(b'.') else stuffed


class AuthLoad:
    """Like smtpload.Load (run(), t_start, t_end): the pool's messages sent from 127.0.0.10
    by bench/lib/smtpblast.c (C threads, blocking sockets), one connection per message and
    lock-step commands as smtp-source sends them, `sessions` connections at a time,
    recipients in turn. (Python threads sent them before: the sender then took 0.3-2.5 ms
    of CPU per message and its GIL hand-offs added latency to every round trip.)"""

    def __init__(self, host, port, addresses, messages, sessions, pool, timeout=600,
                 workdir='/tmp'):
        self.host = host
        self.port = port
        self.addresses = list(addresses)
        self.messages = messages
        self.sessions = sessions
        self.pool = pool
        self.timeout = timeout
        self.workdir = workdir
        self.t_start = None
        self.t_end = None

    def _write_inputs(self):
        pool_path = os.path.join(self.workdir, 'smtpblast.pool')
        rcpt_path = os.path.join(self.workdir, 'smtpblast.rcpts')
        if not os.path.exists(pool_path):
            with open(pool_path + '.new', 'wb') as f:
                for sender, msg in self.pool:
                    data = dot_stuff(msg)
                    f.write(b'%s\n%d\n%s' % (sender.encode(), len(data), data))
            os.rename(pool_path + '.new', pool_path)
        with open(rcpt_path, 'w') as f:
            f.write(''.join(a + '\n' for a in self.addresses))
        return pool_path, rcpt_path

    def run(self):
        blast = smtpblast_binary(self.workdir)
        pool_path, rcpt_path = self._write_inputs()
        cmd = os.environ.get('BENCH_BLAST_WRAP', '').split() + [blast, self.host, str(self.port), SOURCE_IP, str(self.sessions),
               str(self.messages), pool_path, rcpt_path]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise BenchError('load timed out')
        fields = dict(kv.split('=', 1) for kv in r.stdout.split())
        if r.returncode != 0 or 't_start' not in fields:
            raise BenchError('load failed: %s' % (r.stderr.strip() or r.stdout.strip()))
        self.t_start = float(fields['t_start'])
        self.t_end = float(fields['t_end'])
        return self.t_end - self.t_start

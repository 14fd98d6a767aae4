"""Runs Postfix's smtp-source as a fixed number of parallel "lanes" so that the load is spread
over many recipient accounts although smtp-source takes a single -t address: lane i sends its
share of the messages to its share of the recipients, one smtp-source process (-s 1) after the
other, so exactly `sessions` SMTP sessions are open at any time (but for the few milliseconds
between two smtp-source processes of a lane)."""

import shutil
import subprocess
import threading
import time

from benchutil import BenchError

SMTP_SOURCE = shutil.which('smtp-source') or '/usr/sbin/smtp-source'


def plan(messages, sessions, recipients):
    """Split the work: returns one list per lane of (recipient_index, count) jobs. Recipient r
    gets messages/recipients messages (the remainder goes to the first ones); recipients are
    dealt round-robin to lanes. Requires recipients >= sessions for every lane to have work."""
    if recipients < sessions:
        raise BenchError('need at least as many recipients (%d) as sessions (%d)'
                         % (recipients, sessions))
    per, extra = divmod(messages, recipients)
    lanes = [[] for _ in range(sessions)]
    for r in range(recipients):
        n = per + (1 if r < extra else 0)
        if n:
            lanes[r % sessions].append((r, n))
    return lanes


class Load:
    """Load(host, port, addresses, messages, sessions, size, sender).run() -> seconds.
    addresses: the recipient addresses (len = number of recipients). reuse=True passes -d
    (several messages per connection); by default each message gets its own connection, as
    smtp-source does and as the figures in bench/README.md ("The load") were measured."""

    def __init__(self, host, port, addresses, messages, sessions, size, sender='bench@sender.test',
                 reuse=False, timeout=600):
        self.host = host
        self.port = port
        self.addresses = list(addresses)
        self.messages = messages
        self.sessions = sessions
        self.size = size
        self.sender = sender
        self.reuse = reuse
        self.timeout = timeout
        self.errors = []
        self.t_start = None
        self.t_end = None

    def _cmd(self, rcpt, count):
        cmd = [SMTP_SOURCE, '-s', '1', '-m', str(count), '-l', str(self.size), '-f', self.sender,
               '-t', rcpt, '-M', 'client.bench.test']
        if self.reuse:
            cmd.append('-d')
        cmd.append('%s:%d' % (self.host, self.port))
        return cmd

    def _lane(self, jobs, deadline):
        for r, n in jobs:
            left = deadline - time.monotonic()
            if left <= 0:
                self.errors.append('lane timed out')
                return
            try:
                p = subprocess.run(self._cmd(self.addresses[r], n), capture_output=True, text=True,
                                   timeout=left)
            except subprocess.TimeoutExpired:
                self.errors.append('smtp-source to %s timed out' % self.addresses[r])
                return
            if p.returncode != 0:
                self.errors.append('smtp-source to %s: exit %d: %s'
                                   % (self.addresses[r], p.returncode, (p.stderr or p.stdout)[-300:]))
                return

    def run(self):
        """Runs the whole load; returns its duration. Sets t_start (wall clock, just before the
        first connection) and t_end (when the last smtp-source exited). Raises on any failure."""
        lanes = plan(self.messages, self.sessions, len(self.addresses))
        deadline = time.monotonic() + self.timeout
        threads = [threading.Thread(target=self._lane, args=(jobs, deadline)) for jobs in lanes]
        self.t_start = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.t_end = time.time()
        if self.errors:
            raise BenchError('load failed: ' + '; '.join(self.errors[:3]))
        return self.t_end - self.t_start


def fill(target, address, count, size, lmtp=False, sessions=4, timeout=600):
    """Puts `count` messages of `size` payload bytes into one mailbox, fast, for the POP3/IMAP
    benchmarks: smtp-source over SMTP (target 'host:port', e.g. yubin) or LMTP (lmtp=True,
    target 'unix:/path/lmtp', e.g. Dovecot.lmtp_socket) with -d (one connection per session)."""
    per, extra = divmod(count, sessions)
    procs = []
    for i in range(sessions):
        n = per + (1 if i < extra else 0)
        if not n:
            continue
        cmd = [SMTP_SOURCE, '-d', '-s', '1', '-m', str(n), '-l', str(size),
               '-f', 'fill@sender.test', '-t', address, '-M', 'client.bench.test']
        if lmtp:
            cmd.append('-L')
        cmd.append(target)
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    deadline = time.monotonic() + timeout
    bad = []
    for p in procs:
        try:
            _out, err = p.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            bad.append('timed out')
            continue
        if p.returncode != 0:
            bad.append(err.decode(errors='replace')[-300:])
    if bad:
        raise BenchError('fill of %s failed: %s' % (address, '; '.join(bad[:2])))

"""DKIM signing for bench/relay --dkim: one ed25519 and one rsa-2048 key for the sender domain
(PKCS#8 PEM files both yubin and OpenDKIM read), their TXT records, and a private OpenDKIM
signing filter (the Postfix side: `smtpd_milters` on a unix socket, the fast transport
per docs/filters.md "Running the filter daemons offline") with the same keys, both algorithms, relaxed/
relaxed, From/To/Subject/Date oversigned as yubin does (two instances, one per algorithm)."""

import base64
import os
import shutil
import subprocess
import time

from benchutil import BenchError, log, stop_pid, wait_until

DOMAIN = 'bench.test'
SELECTORS = {'ed25519': 'b-ed', 'rsa': 'b-rsa'}


class Keys:
    """Keys(dir): makes DIR/b-ed.pem and DIR/b-rsa.pem; .records: {name: [strings]}."""

    def __init__(self, d):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.paths = {}
        self.records = {}
        for alg, sel in SELECTORS.items():
            path = os.path.join(d, sel + '.pem')
            cmd = (['openssl', 'genpkey', '-algorithm', 'ed25519'] if alg == 'ed25519' else
                   ['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'])
            subprocess.run(cmd + ['-out', path], check=True, capture_output=True)
            os.chmod(path, 0o600)
            der = subprocess.run(['openssl', 'pkey', '-in', path, '-pubout', '-outform', 'DER'],
                                 check=True, capture_output=True).stdout
            # RFC 8463 3: an ed25519 p= is the raw 32-byte key; rsa: SubjectPublicKeyInfo
            p = base64.b64encode(der[-32:] if alg == 'ed25519' else der).decode()
            rec = 'v=DKIM1; k=%s; p=%s' % (alg, p)
            self.records['%s._domainkey.%s' % (sel, DOMAIN)] = [rec[i:i + 255]
                                                                for i in range(0, len(rec), 255)]
            self.paths[alg] = path

    def dnsmasq_args(self):
        return ['--txt-record=%s,%s' % (n, ','.join('"%s"' % s for s in strings))
                for n, strings in self.records.items()]

    def install_yubin(self, data_dir):
        """Copies the keys where `yubin dkim keygen` would have put them."""
        d = os.path.join(data_dir, 'dkim', DOMAIN)
        os.makedirs(d, mode=0o700, exist_ok=True)
        for alg, sel in SELECTORS.items():
            shutil.copy(self.paths[alg], os.path.join(d, sel + '.pem'))
            os.chmod(os.path.join(d, sel + '.pem'), 0o600)


class OpenDKIM:
    """opendkim -f (signing mode) on a unix socket, for one algorithm of the Keys. OpenDKIM
    2.11 has one SignatureAlgorithm per instance, so an ed25519 + rsa signer is two
    instances, both in smtpd_milters (the usual dual-algorithm set-up)."""

    def __init__(self, root, keys, alg):
        self.root = root
        self.sock = os.path.join(root, 'opendkim-%s.sock' % alg)
        self.log_path = os.path.join(root, 'opendkim-%s.log' % alg)
        os.makedirs(root, exist_ok=True)
        self.conf = os.path.join(root, 'opendkim-%s.conf' % alg)
        with open(self.conf, 'w') as f:
            f.write('Mode s\nSyslog no\nBackground no\nRequireSafeKeys false\n'
                    'Socket local:%s\nUMask 000\nDomain %s\nSelector %s\nKeyFile %s\n'
                    'SignatureAlgorithm %s-sha256\nCanonicalization relaxed/relaxed\n'
                    'OversignHeaders From,To,Subject,Date\nInternalHosts 127.0.0.0/8\n'
                    % (self.sock, DOMAIN, SELECTORS[alg], keys.paths[alg], alg))
        self.proc = None

    def start(self):
        out = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(['opendkim', '-f', '-x', self.conf], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=out)
        out.close()
        try:
            wait_until(lambda: os.path.exists(self.sock), 15, 'the opendkim socket')
        except BenchError:
            self.stop()
            raise
        time.sleep(0.1)
        log('opendkim started (pid %d, %s)' % (self.proc.pid, self.conf))

    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc is not None:
            stop_pid(self.proc.pid, timeout=10)
            self.proc.wait(timeout=10)
            self.proc = None


def postfix_main(socks):
    """main.cf lines that put the signing filters into Postfix's smtpd."""
    milters = ', '.join('unix:' + s for s in socks)
    return {'smtpd_milters': milters, 'non_smtpd_milters': milters,
            'milter_protocol': '6', 'milter_default_action': 'tempfail'}


def check_dump(path):
    """A message smtp-sink -d dumped: its DKIM-Signature algorithms and d= (sorted), and the
    message itself (smtp-sink's X-* lines before it removed, CRLF) for a verifier."""
    with open(path, 'rb') as f:
        lines = f.read().split(b'\n')
    while lines and lines[0].startswith(b'X-'):
        lines.pop(0)
    msg = b'\r\n'.join(lines)
    hdr = msg.split(b'\r\n\r\n', 1)[0].replace(b'\r\n ', b' ').replace(b'\r\n\t', b' ')
    algs = []
    for line in hdr.split(b'\r\n'):
        if line.lower().startswith(b'dkim-signature:'):
            tags = dict(t.strip().split(b'=', 1) for t in line[15:].split(b';') if b'=' in t)
            algs.append((tags[b'a'].decode(), tags[b'd'].decode()))
    return sorted(algs), msg

"""The two systems the SMTP benchmarks compare, behind one small interface:
PostfixDovecot (Postfix smtpd -> queue -> LMTP -> Dovecot -> Maildir, the standard deployment)
and YubinServer (one `yubin serve`). Each: start(), stop(), smtp_port, addresses(),
root_pids() (for CPU accounting), server_pids() (for memory), count_messages(),
last_delivery_time(), describe()."""

import os
import re

from benchutil import free_ports, pss_kib, process_tree, vm_hwm_kib
from dovecot import Dovecot
from postfix import Postfix
from yubin import Yubin


class PostfixDovecot:
    name = 'postfix+dovecot'

    def __init__(self, root, users, domain='bench.test'):
        self.root = root
        self.users = users
        self.domain = domain
        self.smtp_port = free_ports(1)[0]
        self.dovecot = Dovecot(os.path.join(root, 'dovecot'), users, domain)
        self.postfix = None

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.dovecot.start()
        self.postfix = Postfix(os.path.join(self.root, 'postfix'), self.smtp_port, [self.domain],
                               self.dovecot.addresses(), self.dovecot.lmtp_socket)
        self.postfix.start()

    def stop(self):
        try:
            if self.postfix:
                self.postfix.stop()
        finally:
            self.dovecot.stop()

    def addresses(self):
        return self.dovecot.addresses()

    def root_pids(self):
        return (self.postfix.root_pids() if self.postfix else []) + self.dovecot.root_pids()

    def peak_rss_kib(self):
        """None: a sum of VmHWM over dozens of processes sharing pages means nothing; the PSS
        total (pss_kib) is the memory figure for a multi-process system."""
        return None

    def pss_kib(self):
        return pss_kib(process_tree(self.root_pids()))

    def count_messages(self):
        return self.dovecot.count_messages()

    def last_delivery_time(self):
        return self.dovecot.last_delivery_time()

    def problems(self):
        """Deferred or bounced deliveries in Postfix's log (should be none)."""
        try:
            with open(self.postfix.log_path, errors='replace') as f:
                bad = [l for l in f if re.search(r'status=(deferred|bounced)', l)]
        except OSError:
            return []
        return bad[:3]

    def describe(self):
        return ('Postfix %s (%s) -> LMTP unix socket -> Dovecot (%s) -> Maildir, default durability'
                % (self.smtp_port, self.postfix.conf_dir if self.postfix else '-',
                   self.dovecot.conf))


class YubinServer:
    name = 'yubin'

    def __init__(self, root, users, binary, domain='bench.test', **yubin_kw):
        self.root = root
        self.smtp_port = free_ports(1)[0]
        self.yubin = Yubin(binary, root, users, domain, smtp_port=self.smtp_port, **yubin_kw)

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        self.yubin.start()

    def stop(self):
        self.yubin.stop()

    def addresses(self):
        return self.yubin.addresses()

    def root_pids(self):
        return self.yubin.root_pids()

    def peak_rss_kib(self):
        return vm_hwm_kib(self.yubin.pid) or 0

    def pss_kib(self):
        return pss_kib(process_tree(self.root_pids()))

    def count_messages(self):
        return self.yubin.count_messages()

    def last_delivery_time(self):
        return self.yubin.last_delivery_time()

    def problems(self):
        if not self.yubin.alive():
            return ['yubin exited: ' + self.yubin.log_tail(500)]
        return []

    def describe(self):
        return 'yubin serve with its normal config (%s)' % self.yubin.conf

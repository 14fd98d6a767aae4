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
from rspamd import Rspamd
from yubin import Yubin


class PostfixDovecot:
    name = 'postfix+dovecot'

    def __init__(self, root, users, domain='bench.test', extra_main=None,
                 mynetworks='127.0.0.0/8'):
        self.root = root
        self.users = users
        self.domain = domain
        self.extra_main = extra_main
        self.mynetworks = mynetworks
        self.smtp_port = free_ports(1)[0]
        self.dovecot = Dovecot(os.path.join(root, 'dovecot'), users, domain)
        self.postfix = None

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.dovecot.start()
        self.postfix = Postfix(os.path.join(self.root, 'postfix'), self.smtp_port, [self.domain],
                               self.dovecot.addresses(), self.dovecot.lmtp_socket,
                               mynetworks=self.mynetworks, extra_main=self.extra_main)
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


class PostfixRspamd(PostfixDovecot):
    """PostfixDovecot with rspamd as its milter (SPF, DKIM, DMARC and rspamd's other stock
    checks), the usual way to add mail authentication to Postfix. dns: the resolver rspamd
    asks; dbdir: rspamd's compiled cache, kept across rounds."""
    name = 'postfix+rspamd'

    def __init__(self, root, users, dns, dbdir, domain='bench.test', rspamd=None):
        # rspamd: an instance started by the caller and shared (bench/smtp-in --milter: the
        # same rspamd for both servers); None: one of its own, started and stopped with it
        self.own_rspamd = rspamd is None
        self.rspamd = rspamd or Rspamd(os.path.join(root, 'rspamd'), dns, dbdir)
        extra = {'smtpd_milters': 'unix:' + self.rspamd.milter_socket,
                 'milter_protocol': '6', 'milter_default_action': 'tempfail',
                 'milter_mail_macros': 'i {mail_addr} {client_addr} {client_name} {auth_authen}'}
        super().__init__(root, users, domain, extra_main=extra, mynetworks='127.0.0.1/32')

    def start(self):
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        if self.own_rspamd:
            self.rspamd.start()
        super().start()

    def stop(self):
        try:
            super().stop()
        finally:
            if self.own_rspamd:
                self.rspamd.stop()

    def root_pids(self):
        return super().root_pids() + self.rspamd.root_pids()


class YubinServer:
    name = 'yubin'

    def __init__(self, root, users, binary, domain='bench.test', name=None, extra=None,
                 mynetworks='127.0.0.0/8', scrape_interval=0):
        self.root = root
        if name:
            self.name = name
        self.smtp_port = free_ports(1)[0]
        extra = dict(extra or {})
        # scrape_interval > 0: the metrics listener on, /metrics fetched that often during
        # the load (bench/smtp-in --scrape-metrics)
        self.scrape_interval = scrape_interval
        if scrape_interval > 0:
            self.name = 'yubin+scrape'
            self.metrics_port = free_ports(1)[0]
            extra['metrics_listen'] = '127.0.0.1:%d' % self.metrics_port
        self.yubin = Yubin(binary, root, users, domain, smtp_port=self.smtp_port, extra=extra,
                           mynetworks=mynetworks)

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


class YubinRspamd(YubinServer):
    """yubin with a (shared, already started) rspamd as its milter over the same unix socket
    Postfix uses, and spam_filter = rspamd: bench/smtp-in --milter. The load comes from
    outside mynetworks, so rspamd's verdict counts for every message. rspamd's processes
    count in its CPU, as they do in postfix+rspamd's."""
    name = 'yubin+rspamd'

    def __init__(self, root, users, binary, rspamd, dns):
        self.rspamd = rspamd
        # rspamd checks SPF, DKIM and DMARC for both servers: yubin's own checks off, so
        # both do the same work; DNS (DNSBLs if any) from the bench's dnsmasq
        super().__init__(root, users, binary, mynetworks='',
                         extra={'smtpd_milters': 'unix:' + rspamd.milter_socket,
                                'spam_filter': 'rspamd', 'mailauth_checks': 'no',
                                'dns_resolvers': dns})

    def root_pids(self):
        return super().root_pids() + self.rspamd.root_pids()

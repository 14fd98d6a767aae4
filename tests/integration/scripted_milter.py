"""A scripted milter (Debian's python3-milter, run with /usr/bin/python3) for the milter
client tests: what it does is chosen by words in the Subject (m:reject, m:addhdr...) and by
recipient local parts (rcptreject). Usage: scripted_milter.py SOCKET TAG, SOCKET as
libmilter writes it (inet:PORT@127.0.0.1 or unix:/path). See docs/filters.md."""
import os
import sys
import time

import Milter

TAG = sys.argv[2] if len(sys.argv) > 2 else "A"


class Scripted(Milter.Base):
    def __init__(self):
        self.subject = ""
        self.seen = []
        self.macros = {}
        self.chunks = 0

    def connect(self, hostname, family, hostaddr):
        # one conversation per SMTP session: the transactions it saw
        self.mails = 0
        if isinstance(hostaddr, tuple) and hostaddr[0] == "127.0.0.2":
            self.setreply("554", "5.7.1", "scripted connect reject")
            return Milter.REJECT
        self.macros["j"] = self.getsymval("j")
        self.macros["daemon_name"] = self.getsymval("{daemon_name}")
        self.macros["client_addr"] = self.getsymval("{client_addr}")
        self.helo_name = None
        return Milter.CONTINUE

    def hello(self, name):
        for m in ("tls_version", "cipher", "cipher_bits"):
            self.macros[m] = self.getsymval("{%s}" % m)
        if "heloreject" in name:
            self.setreply("550", "5.7.1", "scripted HELO reject")
            return Milter.REJECT
        self.helo_name = name
        return Milter.CONTINUE

    def unknown(self, cmd):
        if b"XREJECT" in (cmd if isinstance(cmd, bytes) else cmd.encode()):
            self.setreply("550", "5.7.1", "scripted unknown reject")
            return Milter.REJECT
        return Milter.CONTINUE

    def envfrom(self, mailfrom, *args):
        self.macros["mail_addr"] = self.getsymval("{mail_addr}")
        self.macros["i"] = self.getsymval("i")
        self.macros["auth_authen"] = self.getsymval("{auth_authen}")
        self.macros["auth_type"] = self.getsymval("{auth_type}")
        self.mails += 1
        self.mailfrom = mailfrom
        self.rcpts = []
        self.subject, self.seen, self.chunks = "", [], 0  # per message, not per session
        if "mailtempfail" in mailfrom:
            return Milter.TEMPFAIL
        return Milter.CONTINUE

    def envrcpt(self, to, *args):
        self.rcpts.append(to)
        if "rcptreject" in to:
            self.setreply("550", "5.7.1", "scripted RCPT reject")
            return Milter.REJECT
        return Milter.CONTINUE

    def header(self, name, value):
        self.seen.append(name)
        if name.lower() == "subject":
            self.subject = value
        return Milter.CONTINUE

    def body(self, chunk):
        self.chunks += 1
        return Milter.CONTINUE

    def eom(self):
        s = self.subject
        if "m:die" in s:
            os._exit(3)
        if "m:hang" in s:
            time.sleep(30)
        if "m:progress" in s:
            self.progress()
        if "m:reject" in s:
            self.addheader("X-Dropped", "must not appear")  # edits before a reject are void
            self.setreply("554", "5.7.1", "scripted EOM reject")
            return Milter.REJECT
        if "m:tempfail" in s:
            return Milter.TEMPFAIL
        if "m:discard" in s:
            return Milter.DISCARD
        if "m:addhdr" in s:
            self.addheader("X-Scripted-" + TAG, "added by " + TAG)
        if "m:seen" in s:
            self.addheader("X-Seen-" + TAG, ",".join(n for n in self.seen
                                                     if n.startswith("X-Scripted")) or "none")
        if "m:inshdr" in s:
            self.addheader("X-First", "inserted", 0)
        if "m:chgsubj" in s:
            self.chgheader("Subject", 1, "changed subject")
        if "m:delhdr" in s:
            self.chgheader("X-Remove", 1, "")
        if "m:replbody" in s:
            self.replacebody(b"replaced body\r\n")
        if "m:rcpts" in s:
            self.addheader("X-Rcpts-" + TAG, ",".join(self.rcpts))
        if "m:addA" in s and TAG == "A":
            self.addrcpt("<bob@example.test>")
        if "m:addRej" in s and TAG == "A":  # one the next milter refuses at its RCPT
            self.addrcpt("<rcptreject@example.test>")
        if "m:addrcpt" in s:
            self.addrcpt("<bob@example.test>")
        if "m:delrcpt" in s:
            self.delrcpt("<carol@example.test>")
        if "m:chgfrom" in s:
            self.chgfrom("<changed@client.example.test>")
        if "m:macros" in s:
            m = dict(self.macros, helo=self.helo_name, chunks=str(self.chunks),
                     mails=str(self.mails))
            self.addheader("X-Macros", ";".join("%s=%s" % (k, m[k]) for k in sorted(m)))
        if "m:quarantine" in s:
            self.quarantine("scripted quarantine")
        if "m:continue" in s:  # libmilter stays at end of message (QUIT_NC may follow)
            return Milter.CONTINUE
        return Milter.ACCEPT


def main():
    Milter.factory = Scripted
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.ADDRCPT | Milter.DELRCPT |
                     Milter.CHGFROM | Milter.CHGBODY | Milter.QUARANTINE)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    Milter.runmilter("scripted", sys.argv[1], 240)


if __name__ == "__main__":
    main()

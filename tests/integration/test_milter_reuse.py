"""Milter connections reused across SMTP sessions (milter_idle_connections, SMFIC_QUIT_NC;
docs/filters.md "Reusing milter connections") and the no-reply packets held for the next
write ("Round trips"): against a raw-protocol milter in this file, which counts its
connections and records every packet, and against the scripted libmilter milter."""
import os
import shutil
import smtplib
import socket
import struct
import tempfile
import threading
import time

from helpers import wait_until
from test_milter import Scripted, have_pymilter

import pytest

# SMFIP_NR_* of every step before end of message, as rspamd's milter negotiates them
NR_ALL = 0x001000 | 0x002000 | 0x004000 | 0x008000 | 0x010000 | 0x020000 | 0x040000 | \
    0x080000 | 0x000080
NEEDS_REPLY = b"CHMRTLNBU"  # when not NR


class UnixListener:
    """A unix socket in a temp directory, accepting on a thread: accepted(sock) is called for
    each connection; the subclass keeps its connections in self.conns under self.lock."""

    def __init__(self, prefix, name):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.path = os.path.join(self.tmp, name)
        self.spec = "unix:" + self.path
        self.lock = threading.Lock()
        self.conns = []
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(self.path)
        self.srv.listen(64)
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                s, _ = self.srv.accept()
            except OSError:
                return
            self.accepted(s)

    def close(self, socks):
        self.srv.close()
        for s in socks:
            try:
                s.close()
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class RawMilter(UnixListener):
    """A milter speaking the protocol by hand on a unix socket: replies continue to every
    step (or nothing, with nr), at end of message adds X-Raw (its connection number, the
    conversation on that connection, and the session's macros) and answers eom_reply.
    close_on_quit_nc: it closes a connection as soon as SMFIC_QUIT_NC arrives on it."""

    def __init__(self, nr=False, eom_reply=b"a", close_on_quit_nc=False):
        self.nr, self.eom_reply, self.close_on_quit_nc = nr, eom_reply, close_on_quit_nc
        # self.conns, per connection: {"reads": [[cmd, ...] per recv], "sock": s}
        super().__init__("yubin-rawmilter-", "m.sock")

    def accepted(self, s):
        with self.lock:
            c = {"n": len(self.conns) + 1, "reads": [], "sock": s, "closed": False}
            self.conns.append(c)
        threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def cmds(self, i):
        with self.lock:
            return [cmd for r in self.conns[i]["reads"] for cmd in r]

    def count(self):
        """Connections that carried a message (the server's start-up probe opens one that
        ends at its greeting)."""
        with self.lock:
            return sum(1 for c in self.conns if any("E" in r for r in c["reads"]))

    def mail_conns(self):
        with self.lock:
            return [i for i, c in enumerate(self.conns) if any("E" in r for r in c["reads"])]

    def forget_probes(self):
        """Closes the connections of the server's start-up probes (which may be pooled) and
        starts counting afresh."""
        time.sleep(0.2)
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c["sock"].shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        assert wait_until(lambda: all(c["closed"] for c in conns))
        time.sleep(0.2)  # the server sees the EOF on its idle ones

    def close_idle(self, i):
        """The filter closes connection i (as its own idle timeout would)."""
        with self.lock:
            c = self.conns[i]
        c["sock"].shutdown(socket.SHUT_RDWR)

    @staticmethod
    def pkt(cmd, payload=b""):
        return struct.pack(">I", len(payload) + 1) + cmd + payload

    def serve(self, c):
        s, buf = c["sock"], b""
        session, macros = 1, {}
        try:
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                buf += data
                got = []
                out = b""
                while len(buf) >= 4:
                    n = struct.unpack(">I", buf[:4])[0]
                    if len(buf) < 4 + n:
                        break
                    cmd, payload, buf = buf[4:5], buf[5:4 + n], buf[4 + n:]
                    got.append(cmd.decode())
                    if cmd == b"O":
                        out += self.pkt(b"O", struct.pack(">III", 6, 0x1,
                                                          NR_ALL if self.nr else 0))
                    elif cmd == b"D":
                        parts = payload[1:].split(b"\0")
                        for k, v in zip(parts[0::2], parts[1::2]):
                            macros[k.decode()] = v.decode()
                    elif cmd == b"K":
                        session += 1
                        macros = {}
                        if self.close_on_quit_nc:
                            with self.lock:
                                c["reads"].append(got)
                            return
                    elif cmd == b"Q":
                        with self.lock:
                            c["reads"].append(got)
                        return
                    elif cmd == b"E":
                        hdr = "conn=%d;session=%d;client=%s;mail=%s" % (
                            c["n"], session, macros.get("{client_addr}"),
                            macros.get("{mail_addr}"))
                        out += self.pkt(b"h", b"X-Raw\0" + hdr.encode() + b"\0")
                        out += self.pkt(self.eom_reply)
                    elif cmd in NEEDS_REPLY and not self.nr:
                        out += self.pkt(b"c")
                with self.lock:
                    c["reads"].append(got)
                if out:
                    s.sendall(out)
        except OSError:
            pass
        finally:  # QUIT, QUIT_NC with close_on_quit_nc, EOF or an error: closed by us
            s.close()
            with self.lock:
                c["closed"] = True

    def stop(self):
        with self.lock:
            socks = [c["sock"] for c in self.conns]
        self.close(socks)


class CountingProxy(UnixListener):
    """Between the server and a real milter (libmilter's worker pool hands a connection's
    commands to any of its threads, so the milter cannot tell its connections apart): counts
    the connections and records the commands the server sent on each."""

    def __init__(self, upstream):
        self.upstream = upstream
        super().__init__("yubin-milterproxy-", "p.sock")

    def accepted(self, down):
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.upstream)
        c = {"cmds": [], "socks": (down, up)}
        with self.lock:
            self.conns.append(c)
        threading.Thread(target=self.pump, args=(down, up, c), daemon=True).start()
        threading.Thread(target=self.pump, args=(up, down, None), daemon=True).start()

    def pump(self, src, dst, c):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                if c is None:
                    continue
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                    n = struct.unpack(">I", buf[:4])[0]
                    with self.lock:
                        c["cmds"].append(buf[4:5].decode())
                    buf = buf[4 + n:]
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def with_mail(self):
        """The commands of each connection that carried a message."""
        with self.lock:
            return [list(c["cmds"]) for c in self.conns if "E" in c["cmds"]]

    def stop(self):
        with self.lock:
            socks = [s for c in self.conns for s in c["socks"]]
        self.close(socks)


@pytest.fixture
def raw_milter():
    made = []

    def make(**kw):
        m = RawMilter(**kw)
        made.append(m)
        return m
    yield make
    for m in made:
        m.stop()


def msg(subject):
    return (b"From: s@client.example.test\r\nTo: alice@example.test\r\nSubject: "
            + subject.encode() + b"\r\n\r\nhello\r\n")


def send(server, subject, sender="s@client.example.test", source="127.0.0.1"):
    s = smtplib.SMTP(server.host, server.smtp_port, local_hostname="client.example.test",
                     timeout=30, source_address=(source, 0))
    try:
        s.sendmail(sender, ["alice@example.test"], msg(subject))
    finally:
        s.quit()


def field(data, name):
    return data.split(name.encode() + b": ")[1].split(b"\r\n")[0].decode()


def fields(server, name):
    """name's value in each stored message, in the order of their Subject (s1, s2...)."""
    got = sorted(server.messages("alice@example.test"), key=lambda d: field(d, "Subject"))
    return [dict(kv.split("=", 1) for kv in field(d, name).split(";")) for d in got]


def reuse_config(m, n=4, after="session"):
    return {"smtpd_milters": m.spec, "milter_idle_connections": str(n),
            "milter_reuse_after": after}


def start(yubin_factory, m, config):
    server = yubin_factory(config=config)
    m.forget_probes()
    return server


@pytest.mark.parametrize("nr", [False, True], ids=["replies", "no-replies"])
def test_connection_reused_with_own_macros(yubin_factory, raw_milter, nr):
    """Three sessions one after the other: one connection, one option negotiation; each
    later session begins with QUIT_NC then its own CONNECT and macros."""
    m = raw_milter(nr=nr)
    server = start(yubin_factory, m, reuse_config(m))
    send(server, "s1", sender="one@client.example.test")
    send(server, "s2", sender="two@client.example.test", source="127.0.0.3")
    send(server, "s3", sender="three@client.example.test")
    assert m.count() == 1, [m.cmds(i) for i in range(m.count())]
    got = fields(server, "X-Raw")
    assert [g["session"] for g in got] == ["1", "2", "3"], got
    assert [g["mail"] for g in got] == ["one@client.example.test", "two@client.example.test",
                                        "three@client.example.test"], got
    assert [g["client"] for g in got] == ["127.0.0.1", "127.0.0.3", "127.0.0.1"], got
    cmds = m.cmds(m.mail_conns()[0])
    assert cmds.count("O") == 1 and cmds.count("K") == 2 and "Q" not in cmds, cmds
    for i, c in enumerate(cmds):  # QUIT_NC is followed by the next session's CONNECT
        if c == "K":
            assert [x for x in cmds[i + 1:] if x != "D"][0] == "C", cmds


def test_libmilter_reuse_only_after_continue(yubin_factory):
    """milter_reuse_after = message with a libmilter milter (python3-milter): a session
    whose message the milter answered with continue leaves its connection for the next one
    (libmilter takes QUIT_NC then CONNECT there, and the second session's macros are its
    own); after accept it does not (libmilter would ignore QUIT_NC), and the next session
    gets a new connection."""
    if not have_pymilter():
        pytest.skip("python3-milter not installed")
    m = Scripted("unix")
    proxy = CountingProxy(m.spec[len("unix:"):])
    try:
        server = yubin_factory(config=reuse_config(proxy, after="message"))
        send(server, "s1 m:continue m:macros", sender="one@client.example.test")
        send(server, "s2 m:continue m:macros", sender="two@client.example.test",
             source="127.0.0.3")
        send(server, "s3 m:macros", sender="three@client.example.test")
        send(server, "s4 m:macros", sender="four@client.example.test")
        got = fields(server, "X-Macros")
        assert [g["mail_addr"] for g in got] == ["one@client.example.test",
                                                 "two@client.example.test",
                                                 "three@client.example.test",
                                                 "four@client.example.test"], got
        assert [g["client_addr"] for g in got] == ["127.0.0.1", "127.0.0.3", "127.0.0.1",
                                                   "127.0.0.1"], got
        assert [g["mails"] for g in got] == ["1", "1", "1", "1"], got  # a session each
        conns = proxy.with_mail()
        assert [c.count("E") for c in conns] == [3, 1], conns
        assert [c.count("K") for c in conns] == [2, 0], conns
        assert [c.count("O") for c in conns] == [1, 1], conns
    finally:
        proxy.stop()
        m.stop()


def test_idle_connection_closed_by_milter(yubin_factory, raw_milter):
    """The milter closes an idle pooled connection: the next session connects anew, and
    that connection is pooled in turn."""
    m = raw_milter()
    server = start(yubin_factory, m, reuse_config(m))
    send(server, "s1")
    first = m.mail_conns()[0]
    m.close_idle(first)
    assert wait_until(lambda: m.conns[first]["closed"])
    time.sleep(0.2)  # yubin sees the EOF on the idle connection
    send(server, "s2")
    send(server, "s3")
    assert m.count() == 2
    assert [g["conn"] for g in fields(server, "X-Raw")] == ["1", "2", "2"]


@pytest.mark.parametrize("nr", [False, True], ids=["replies", "no-replies"])
def test_dead_pooled_connection_reconnected_once(yubin_factory, raw_milter, nr):
    """The milter closes the connection when QUIT_NC arrives (before it answered anything of
    the session): yubin connects once more, negotiates, sends the session so far again, and
    the client sees nothing of it."""
    m = raw_milter(nr=nr, close_on_quit_nc=True)
    server = start(yubin_factory, m, reuse_config(m))
    send(server, "s1")
    send(server, "s2")
    assert server.count("alice@example.test") == 2
    assert m.count() == 2
    first, second = m.mail_conns()
    assert "K" in m.cmds(first)
    second = [c for c in m.cmds(second) if c != "D"]
    assert second[:2] == ["O", "C"] and "E" in second, second
    assert [g["conn"] for g in fields(server, "X-Raw")] == ["1", "2"]


def test_connection_sessions_bound(yubin_factory, raw_milter):
    """milter_connection_sessions = 2: a connection that carried two sessions is closed
    (QUIT) and the third session connects anew."""
    m = raw_milter()
    server = start(yubin_factory, m, dict(reuse_config(m), milter_connection_sessions="2"))
    for i in range(3):
        send(server, "s%d" % (i + 1))
    assert [g["conn"] + "/" + g["session"] for g in fields(server, "X-Raw")] == \
        ["1/1", "1/2", "2/1"]
    assert wait_until(lambda: m.conns[0]["closed"])
    assert m.cmds(0)[-1] == "Q"


def test_pool_off_one_connection_per_session(yubin_factory, raw_milter):
    """milter_idle_connections = 0 (the default): a connection per session, negotiated,
    ended with QUIT; the packets that need no reply go out with end of message (one write:
    the milter reads CONNECT ... EOM at once)."""
    m = raw_milter(nr=True)
    server = start(yubin_factory, m, {"smtpd_milters": m.spec})
    send(server, "s1")
    send(server, "s2")
    assert wait_until(lambda: all(c["closed"] for c in m.conns))
    assert m.count() == 2
    for i in m.mail_conns():
        with m.lock:
            reads = [[c for c in r if c != "D"] for r in m.conns[i]["reads"]]
        assert reads[0] == ["O"], reads
        batch = reads[1]
        assert batch[0] == "C" and batch[-1] == "E" and "M" in batch, reads
        assert reads[-1][-1] == "Q" and "K" not in sum(reads, []), reads


def test_idle_connection_quit_at_shutdown(yubin_factory, raw_milter):
    """yubin serve stopping (SIGTERM) says QUIT on its idle pooled connection, as a
    conversation that ends does, instead of dropping the socket."""
    m = raw_milter()
    server = start(yubin_factory, m, reuse_config(m))
    send(server, "s1")
    first = m.mail_conns()[0]
    assert not server.stop()
    assert wait_until(lambda: m.conns[first]["closed"])
    assert m.cmds(first)[-1] == "Q", m.cmds(first)

"""A small raw SMTP client for the integration tests: sends exact bytes (smtplib rewrites line
ends and dots, which would hide the very bugs these tests look for) and parses replies
(RFC 5321 4.2: "CODE-text" continuation lines, "CODE text" on the last one)."""
import re
import select
import socket
import ssl

ENHANCED_RE = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)")


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines  # text after "CODE-"/"CODE ", one per line
        m = ENHANCED_RE.match(lines[0]) if lines else None
        self.enhanced = m.group(1) if m else ""

    @property
    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return "Reply(%d, %r)" % (self.code, self.lines)


class SMTPClosed(Exception):
    pass


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RawSMTP:
    """One connection. Reading is bounded by timeout; every method raises on a timeout or
    on an unexpected close, so a hung server fails the test instead of hanging it."""

    def __init__(self, host, port, timeout=30, source=None, tls=False):
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        if tls:
            self.sock = tls_client_context().wrap_socket(self.sock)
        self.buf = b""

    # -- low level ---------------------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no reply within %ss (have %r)" % (self.timeout, self.buf[:200]))
        if not chunk:
            raise SMTPClosed("connection closed by server (pending %r)" % self.buf[:200])
        self.buf += chunk

    def read_line(self):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise AssertionError("reply line without CRLF: %r" % self.buf[:200])
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        lines = []
        code = None
        while True:
            line = self.read_line().decode("utf-8", "replace")
            m = re.match(r"^(\d{3})([ -])(.*)$", line) or re.match(r"^(\d{3})()$", line)
            assert m, "malformed reply line %r" % line
            c = int(m.group(1))
            assert code is None or c == code, "code changed in multiline reply: %r" % line
            code = c
            lines.append(m.group(3))
            if m.group(2) != "-":
                return Reply(code, lines)

    def cmd(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.reply()

    def expect(self, line, code, enhanced=None):
        r = self.cmd(line)
        assert r.code == code, "%r -> %r, expected %d" % (line, r, code)
        if enhanced:
            assert r.enhanced == enhanced, "%r -> %r, expected %s" % (line, r, enhanced)
        return r

    def greet(self, name="client.example.test"):
        r = self.reply()
        assert r.code == 220, r
        return self.expect("EHLO " + name, 250)

    # -- checks ------------------------------------------------------------------------
    def nothing_pending(self, wait=0.4):
        """True if the server sent nothing more within `wait` seconds (and did not close)."""
        if self.buf:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        r, _, _ = select.select([self.sock], [], [], wait)
        if not r:
            return True
        try:
            self._fill()
        except SMTPClosed:
            return True
        return not self.buf

    def wait_closed(self, timeout=10):
        """Reads until EOF (returns the bytes read before it); raises if still open after
        timeout seconds."""
        self.sock.settimeout(timeout)
        data = self.buf
        self.buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError("connection still open after %ss (got %r)" % (timeout, data))
            except (ConnectionResetError, ssl.SSLError, OSError):
                return data
            if not chunk:
                return data
            data += chunk

    # -- TLS ---------------------------------------------------------------------------
    def starttls(self):
        r = self.cmd("STARTTLS")
        assert r.code == 220, r
        assert not self.buf, "bytes after the 220 to STARTTLS in cleartext: %r" % self.buf
        self.sock = tls_client_context().wrap_socket(self.sock)
        return r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def dot_stuff(msg):
    """RFC 5321 4.5.2: a line starting with "." gets one more; msg has CRLF line ends."""
    out = re.sub(rb"(?m)(?<=\r\n)\.", b"..", msg)
    if out.startswith(b"."):
        out = b"." + out
    return out


def data_payload(msg):
    """Bytes to send after the 354: dot-stuffed msg, a final CRLF if missing, then .CRLF."""
    out = dot_stuff(msg)
    if not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out + b".\r\n"

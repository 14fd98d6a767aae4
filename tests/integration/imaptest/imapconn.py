"""One IMAP connection of the imaptest runner: raw socket (optionally implicit TLS), reading
whole responses with their literals, imaptest-style tags ("<client id>.<n>"), and the small
mailbox view imaptest keeps per client (message count, UIDs) with its consistency checks."""
import re
import select
import socket
import ssl
import time

from imapargs import LIST, NIL, args_to_str, get_atom, parse_args

_LIT_END = re.compile(r"~?\{(\d+)\+?\}\r?\n$")


class Disconnected(Exception):
    pass


class Conn:
    def __init__(self, host, port, gid, tls=False, timeout=10.0):
        self.gid = gid
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        self.buf = b""
        self.tag_counter = 1
        self.caps = []
        self.postlogin_caps = False
        self.logout_sent = False
        self.seen_bye = False
        self.disconnected = False
        self.qresync = False
        self.readwrite = False
        self.selected = None
        self.uids = []          # per sequence, 0 = not known yet
        # keywords of the selected mailbox as imaptest's mailbox_view keeps them: names
        # announced by "* FLAGS" (lower-cased -> as sent), and per sequence the keywords
        # the last FETCH FLAGS gave (None = not known yet)
        self.keywords = {}
        self.last_flags = set()   # the keywords of the last "* FLAGS"
        self.msg_keywords = []
        self.input_stopped = False

    # -- I/O ---------------------------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Disconnected(str(e))

    def _fill(self, deadline):
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            chunk = self.sock.recv(65536)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                raise TimeoutError
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionError, ssl.SSLError) as e:
                raise Disconnected(str(e))
        if not chunk:
            self.disconnected = True
            raise Disconnected("connection closed by server")
        self.buf += chunk

    def _read_line(self, deadline):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                return line
            self._fill(deadline)

    def _read_bytes(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def has_buffered(self):
        return b"\n" in self.buf

    def read_response(self, timeout=None):
        """One complete response as str (latin-1), literals inline, without the final CRLF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        parts = []
        while True:
            line = self._read_line(deadline).decode("latin-1")
            parts.append(line)
            m = _LIT_END.search(line)
            if not m:
                break
            parts.append(self._read_bytes(int(m.group(1)), deadline).decode("latin-1"))
        text = "".join(parts)
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        return text

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def next_tag(self):
        tag = self.tag_counter
        self.tag_counter += 1
        return tag

    def tag_str(self, tag):
        return "%d.%d" % (self.gid, tag)

    def has_cap(self, name):
        return any(c.lower() == name.lower() for c in self.caps)

    def parse_caps(self, text):
        self.caps = text.split()

    # -- view tracking (imap_client_handle_untagged) -------------------------------------
    def reset_view(self):
        self.uids = []
        self.keywords = {}
        self.last_flags = set()
        self.msg_keywords = []

    def _handle_flags(self, args):
        """"* FLAGS (...)" (mailbox_state_set_flags): the keywords it lists become known;
        one dropped while a message still has it is an error."""
        if len(args) < 2 or args[1].type != LIST:
            return [(True, "FLAGS reply isn't a list")]
        names = {}
        for f in args[1].val:
            s = "NIL" if f.type == NIL else get_atom(f)
            if s is None:
                return [(True, "FLAGS list contains non-atoms")]
            if not s.startswith("\\"):
                names[s.lower()] = s
        problems = []
        for low, name in self.keywords.items():
            refs = sum(1 for kws in self.msg_keywords if kws and low in kws)
            if low not in names and refs > 0:
                problems.append((True, "Keyword '%s' dropped, but it still had %d "
                                 "references" % (name, refs)))
        # imaptest never forgets a keyword of the view
        for low, name in names.items():
            self.keywords.setdefault(low, name)
        self.last_flags = set(names)
        return problems

    def _handle_permanentflags(self, args):
        """"* OK [PERMANENTFLAGS (...)]" (mailbox_state_set_permanent_flags): every keyword
        in it must have been introduced by FLAGS."""
        if len(args) < 3 or args[2].type != LIST:
            return []
        problems = []
        permanent = set()
        for f in args[2].val:
            s = "NIL" if f.type == NIL else get_atom(f)
            if s is None:
                return [(True, "PERMANENTFLAGS list contains non-atoms")]
            if s.startswith("\\"):
                continue
            permanent.add(s.lower())
            if s.lower() not in self.keywords:
                problems.append((True, "Keyword in PERMANENTFLAGS not introduced with "
                                 "FLAGS: %s" % s))
        for low in sorted(self.last_flags - permanent):
            problems.append((False, "Keyword not in PERMANENTFLAGS found: %s"
                             % self.keywords[low]))
        return problems

    def handle_untagged(self, args, storage):
        """Update the view; returns a list of (fatal, message) protocol problems."""
        problems = []
        if not args:
            return [(True, "empty untagged reply")]
        first = get_atom(args[0])
        if first is None:
            return [(True, "Invalid untagged input: " + args_to_str(args))]
        up = first.upper()
        if up.isdigit():
            num = int(up)
            kind = (get_atom(args[1]) or "").upper() if len(args) > 1 else ""
            if kind == "EXISTS":
                if num < len(self.uids):
                    problems.append((True, "Message count dropped %d -> %d"
                                     % (len(self.uids), num)))
                    del self.uids[num:]
                self.uids.extend([0] * (num - len(self.uids)))
                del self.msg_keywords[num:]
                self.msg_keywords.extend([None] * (num - len(self.msg_keywords)))
            elif num > len(self.uids):
                problems.append((False, "seq too high (%d > %d)" % (num, len(self.uids))))
            elif kind == "EXPUNGE":
                if num == 0:
                    problems.append((True, "Tried to expunge sequence 0"))
                else:
                    del self.uids[num - 1]
                    if num <= len(self.msg_keywords):
                        del self.msg_keywords[num - 1]
            elif kind == "FETCH":
                problems += self._handle_fetch(num, args[2:], storage)
        elif up == "FLAGS":
            problems += self._handle_flags(args)
        elif up == "BYE":
            if not self.logout_sent or self.seen_bye:
                problems.append((False, "Unexpected BYE"))
            self.seen_bye = True
        elif up == "CAPABILITY":
            self.parse_caps(args_to_str(args[1:]))
            self.postlogin_caps = True
        elif up == "ENABLED":
            for a in args[1:]:
                if (get_atom(a) or "").upper() == "QRESYNC":
                    self.qresync = True
        elif up == "VANISHED":
            if not self.qresync:
                problems.append((True, "Server sent VANISHED but we hadn't enabled QRESYNC"))
        elif up == "BAD":
            problems.append((False, "BAD received"))
        elif up == "OK" and len(args) > 1:
            code = get_atom(args[1]) or ""
            if code.upper() == "[PERMANENTFLAGS":
                problems += self._handle_permanentflags(args)
            if code.upper().startswith("[CAPABILITY"):
                caps = []
                for a in args[2:]:
                    s = get_atom(a) or ""
                    caps.append(s.rstrip("]"))
                    if s.endswith("]"):
                        break
                self.caps = caps
        return problems

    def _handle_fetch(self, seq, args, storage):
        problems = []
        if not args or args[0].type != LIST:
            return [(True, "FETCH didn't return a list")]
        items = args[0].val
        pairs = {}
        for i in range(0, len(items) - 1, 2):
            name = get_atom(items[i])
            if name is not None:
                pairs[name.upper()] = items[i + 1]
        uid = self.uids[seq - 1]
        if "UID" in pairs and get_atom(pairs["UID"]) and pairs["UID"].val.isdigit():
            new = int(pairs["UID"].val)
            if uid and uid != new:
                problems.append((True, "UID changed for sequence %d: %d -> %d"
                                 % (seq, uid, new)))
            uid = self.uids[seq - 1] = new
        ms = storage.setdefault(uid, {}) if uid else None
        if "FLAGS" in pairs:
            fl = pairs["FLAGS"]
            if fl.type != LIST:
                problems.append((True, "FLAGS reply isn't a list"))
            else:
                recent = False
                kws = set()
                for f in fl.val:
                    # a keyword "NIL" is a valid flag atom (the "nil" group stores one)
                    s = "NIL" if f.type == NIL else get_atom(f)
                    if s is None:
                        problems.append((True, "Flags list contains non-atoms."))
                        continue
                    if s.startswith("\\"):
                        if s[1:].lower() not in ("answered", "flagged", "deleted", "seen",
                                                 "draft", "recent"):
                            problems.append((True, "Invalid system flag: %s" % s))
                        if s.lower() == "\\recent":
                            recent = True
                    elif s.lower() not in self.keywords:
                        # RFC 3501 7.2.6: FLAGS lists the keywords before any use
                        problems.append((True, "Keyword used without being in FLAGS: %s"
                                         % s))
                        self.keywords[s.lower()] = s
                        kws.add(s.lower())
                    else:
                        kws.add(s.lower())
                if seq <= len(self.msg_keywords):
                    self.msg_keywords[seq - 1] = kws
                if recent and ms is not None and not storage.get("no_recent_tracking"):
                    owner = ms.get("recent")
                    if owner is None:
                        if self.readwrite:
                            ms["recent"] = self.gid
                    elif owner != self.gid:
                        problems.append((True, "Message UID=%d has \\Recent flag in multiple "
                                         "sessions: %d and %d" % (uid, self.gid, owner)))
                        storage["no_recent_tracking"] = True
        if ms is not None and "INTERNALDATE" in pairs:
            d = pairs["INTERNALDATE"].val if pairs["INTERNALDATE"].type != LIST else None
            if d is not None:
                if "internaldate" not in ms:
                    ms["internaldate"] = d
                elif ms["internaldate"] != d:
                    problems.append((True, "UID=%d INTERNALDATE changed %s -> %s"
                                     % (uid, ms["internaldate"], d)))
        return problems


def parse_response(text):
    return parse_args(text)

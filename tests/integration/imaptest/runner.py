#!/usr/bin/python3
"""Runner of Dovecot imaptest's scripted IMAP compliance tests (the files of
dovecot/imaptest src/tests, read from ../shared/imaptest-tests/tests or $IMAPTEST_TESTS),
written after imaptest's test-parser.c / test-exec.c semantics; stdlib only.

  run_test(host, port, user, password, test_path, tls=False) -> TestResult
  /usr/bin/python3 runner.py --host H --port P --user U --pass PW [--test NAME | --all]"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from imapargs import LIST, LITERAL, STRING, args_to_str, get_astring, get_atom, parse_args  # noqa
from imapconn import Conn, Disconnected  # noqa: E402
from matcher import MATCH, Matcher  # noqa: E402
from mboxsource import MboxSource  # noqa: E402
from scriptparse import STATES, ParseError, list_tests, parse_test  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
DEFAULT_TESTS = os.path.join(os.path.dirname(REPO), "shared", "imaptest-tests", "tests")


# Where the shared test data may be: beside the repository (../shared) or at the team's
# shared folder, for a checkout that lives elsewhere (a CI clone).
FALLBACK_TESTS = ["/work/shared/imaptest-tests/tests"]


def tests_dir():
    if "IMAPTEST_TESTS" in os.environ:
        return os.environ["IMAPTEST_TESTS"]
    for d in [DEFAULT_TESTS] + FALLBACK_TESTS:
        if os.path.isdir(d):
            return d
    return DEFAULT_TESTS


class TestResult:
    def __init__(self, name):
        self.name = name
        self.status = "pass"         # pass | fail | skip
        self.reason = ""             # skip reason or first failure
        self.failures = []           # one text block per failed command / check
        self.warnings = []
        self.groups = 0

    @property
    def passed(self):
        return self.status == "pass"

    def report(self):
        out = ["%s: %s%s" % (self.name, self.status.upper(),
                             (" (%s)" % self.reason) if self.status == "skip" else "")]
        out += self.failures
        return "\n".join(out)


class _Abort(Exception):
    pass


class _Skip(Exception):
    pass


class Executor:
    gid_counter = 0

    def __init__(self, host, port, user, password, test_path, tls=False, box="imaptest",
                 timeout=10.0):
        self.host, self.port, self.tls = host, port, tls
        self.user, self.password, self.box = user, password, box
        self.timeout = timeout
        default_mbox = os.path.join(os.path.dirname(test_path), "default.mbox")
        self.test = parse_test(test_path, default_mbox)
        self.result = TestResult(self.test.name)
        self.source = MboxSource(self.test.mbox_path)
        self.m = Matcher()
        self.conns = []
        self.storages = {}
        self.init_finished = False
        self.group = None
        self.group_idx = 0
        self.listed, self.lsubbed = [], []

    # -- reporting -------------------------------------------------------------------------
    def fail(self, msg):
        r = self.result
        r.status = "fail"
        if not self.init_finished:
            text = "*** Test %s initialization failed: %s" % (self.test.name, msg)
        else:
            g = self.group
            cmd = g.commands[0] if g.commands else None
            text = "*** Test %s command %d/%d (line %d)\n - failed: %s" % (
                self.test.name, self.group_idx + 1, len(self.test.groups),
                cmd.linenum if cmd else 0, msg)
            if cmd is not None:
                text += "\n - Command: %s" % cmd.command[:500]
        if not r.reason:
            r.reason = msg.split("\n")[0]
        r.failures.append(text)

    def storage(self, c):
        return self.storages.setdefault((c.selected or self.box).lower(), {})

    # -- connections -----------------------------------------------------------------------
    def connect(self):
        Executor.gid_counter += 1
        c = Conn(self.host, self.port, Executor.gid_counter, self.tls, self.timeout)
        banner = c.read_response()
        if banner[:10].upper() == "* PREAUTH ":
            c.preauth = True
        elif banner[:5].upper() != "* OK ":
            raise _Abort("Malformed banner \"%s\"" % banner)
        p = banner.upper().find("[CAPABILITY ")
        if p >= 0:
            c.parse_caps(banner[p + 12:].split("]", 1)[0])
        else:
            self.simple(c, "CAPABILITY")
        self.conns.append(c)
        return c

    def have_caps(self, c):
        if self.test.require_user2:
            return "needs a second user ($user2)"
        missing = [r for r in (self.test.required_caps or []) if not c.has_cap(r)]
        if missing:
            return "server lacks capabilities: " + " ".join(missing)
        return None

    # -- response dispatch ---------------------------------------------------------------------
    def read(self, c):
        try:
            return c.read_response()
        except TimeoutError:
            raise _Abort("Timeout: no reply from server within %.0fs" % c.timeout)

    def dispatch(self, c, text, pending):
        """Handle one response; returns "cont" for a continuation request."""
        if text.startswith("+"):
            return "cont"
        if text.startswith("* "):
            self.untagged(c, parse_args(text[2:]))
            return None
        tag, _, rest = text.partition(" ")
        cmd = pending.get(tag)
        if cmd is None:
            raise _Abort("Unexpected tagged reply: %s" % text[:200])
        del pending[tag]
        args = parse_args(rest)
        status = (get_atom(args[0]) or "").upper() if args else ""
        if status not in ("OK", "NO", "BAD"):
            raise _Abort("Broken tagged reply: %s" % text[:200])
        self.tagged_state(c, cmd, status, args)
        cmd.callback(c, cmd, status, args)
        return None

    def untagged(self, c, args):
        for fatal, msg in c.handle_untagged(args, self.storage(c)):
            if fatal:
                self.fail("%s: %s" % (msg, args_to_str(args)[:300]))
                raise _Abort(msg)
            self.result.warnings.append(msg)
        if not self.init_finished:
            name = (get_atom(args[0]) or "").lower() if args else ""
            if name in ("list", "lsub") and len(args) >= 4 and args[1].type == LIST:
                box = get_astring(args[3])
                if box is not None:
                    (self.listed if name == "list" else self.lsubbed).append(box)
        elif self.group is not None and c is self.conns[self.group.conn_idx]:
            self.match_untagged(c, args)
        if len(args) > 1 and get_atom(args[0]) and args[0].val.isdigit() and \
                (get_atom(args[1]) or "").upper() == "EXPUNGE":
            self.m.handle_expunge(int(args[0].val))

    def tagged_state(self, c, cmd, status, args):
        name = cmd.line.split(" ", 1)[0].upper()
        code = (get_atom(args[1]) or "").upper() if len(args) > 1 else ""
        if code.startswith("[CAPABILITY"):
            caps = []
            for a in args[1:]:
                s = (get_atom(a) or "").lstrip("[")
                caps.append(s.rstrip("]"))
                if s.endswith("]"):
                    break
            c.parse_caps(" ".join(caps[1:]))
        if name in ("SELECT", "EXAMINE"):
            if status == "OK":
                c.readwrite = code == "[READ-WRITE]"
            else:
                c.selected = None
        elif name in ("CLOSE", "UNSELECT") and status == "OK":
            c.reset_view()
            c.selected = None
        elif name in ("DELETE", "RENAME"):
            box = get_astring((parse_args(cmd.line)[1:2] or [None])[0])
            if box is not None:
                self.storages.pop(box.lower(), None)

    def wait_tagged(self, c, pending):
        while pending:
            self.dispatch(c, self.read(c), pending)

    # -- sending -------------------------------------------------------------------------------
    def send_cmd(self, c, line, callback, pending, body=None):
        """Send "<tag> line" (line may hold {N}\\r\\n literals); body = APPEND message data
        sent after the line's final literal announcement."""
        tag = c.next_tag()
        tagstr = c.tag_str(tag)
        cmd = _Wire(line, callback)
        cmd.tagstr = tagstr
        pending[tagstr] = cmd
        if line.split(" ", 1)[0].upper() in ("SELECT", "EXAMINE"):
            c.reset_view()
            box = get_astring((parse_args(line)[1:2] or [None])[0])
            c.selected = box
        data = tagstr + " " + line + ("" if body is None else "\r\n" + body) + "\r\n"
        chunks = _split_literals(data, c.has_cap("LITERAL+"))
        for text, sync in chunks:
            c.send(text)
            if sync and not self.wait_continuation(c, tagstr, pending):
                break
        return tagstr

    def wait_continuation(self, c, tagstr, pending):
        while tagstr in pending:
            if self.dispatch(c, self.read(c), pending) == "cont":
                return True
        return False

    def simple(self, c, line):
        """Init-time command; returns (status, args)."""
        res = {}
        pending = {}

        def cb(_c, _cmd, status, args):
            res["r"] = (status, args)
        self.send_cmd(c, line, cb, pending)
        self.wait_tagged(c, pending)
        return res["r"]

    def append_line(self, c, args, add_datetime):
        date, msg = self.source.next()
        line = "APPEND " + args
        if add_datetime:
            line += ' "%s"' % date
        line += " {%d}" % len(msg)
        return line, msg

    # -- startup (test_send_lstate_commands) ---------------------------------------------------
    def startup(self):
        t = self.test
        for _ in range(t.connection_count):
            self.connect()
        c0 = self.conns[0]
        for i, c in enumerate(self.conns):
            sfx = "" if i == 0 else str(i + 1)
            self.m.variables["user" + sfx] = self.user
            self.m.variables["username" + sfx] = self.user.split("@")[0]
            self.m.variables["domain" + sfx] = self.user.split("@")[1] if "@" in self.user \
                else self.host
            self.m.variables["password" + sfx] = self.password
        self.m.variables["mailbox"] = self.box
        self.m.variables["mailbox_url"] = self.box
        if t.state == "nonauth":
            why = self.have_caps(c0)
            if why:
                raise _Skip(why)
            return
        for c in self.conns:
            if getattr(c, "preauth", False):
                continue
            st, args = self.simple(c, "LOGIN %s %s" % (_quote(self.user), _quote(self.password)))
            if st != "OK":
                raise _Abort("LOGIN failed: %s" % args_to_str(args))
        st, _ = self.simple(c0, "CAPABILITY")
        if st != "OK" or not c0.postlogin_caps:
            raise _Abort("CAPABILITY failed")
        why = self.have_caps(c0)
        if why:
            raise _Skip(why)
        self.reset_mailboxes(c0)
        if STATES.index(t.state) >= STATES.index("created"):
            if self.box.upper() != "INBOX":
                st, args = self.simple(c0, "CREATE " + _quote(self.box))
                if st != "OK":
                    raise _Abort("CREATE %s failed: %s" % (self.box, args_to_str(args)))
            self.append_initial(c0)
        if t.state == "selected":
            for c in self.conns:
                st, args = self.simple(c, "SELECT " + _quote(self.box))
                if st != "OK":
                    raise _Abort("SELECT failed: %s" % args_to_str(args))

    def reset_mailboxes(self, c):
        """LIST/LSUB "" box*, then DELETE and UNSUBSCRIBE all found (imaptest does this)."""
        self.listed, self.lsubbed = [], []
        pending = {}
        for cmd in ("LIST", "LSUB"):
            self.send_cmd(c, '%s "" %s' % (cmd, _quote(self.box + "*")),
                          _init_check, pending)
        self.wait_tagged(c, pending)
        for names, cmd in ((self.listed, "DELETE"), (self.lsubbed, "UNSUBSCRIBE")):
            for name in sorted(set(names), key=lambda s: s.lower(), reverse=True):
                self.send_cmd(c, "%s %s" % (cmd, _quote(name)), _ignore_no, pending)
        self.wait_tagged(c, pending)
        self.storages.clear()

    def append_initial(self, c):
        count = self.test.message_count
        if count is None:
            count = self.source.count()
        for _ in range(count):
            line, msg = self.append_line(c, _quote(self.box), True)
            pending = {}
            self.send_cmd(c, line, _init_check, pending, body=msg)
            self.wait_tagged(c, pending)

    # -- command groups (test_send_next_command_group) -----------------------------------------
    def run_groups(self):
        self.init_finished = True
        for gi, g in enumerate(self.test.groups):
            self.group_idx, self.group = gi, g
            self.result.groups += 1
            if not self.run_group(g):
                return

    def run_group(self, g):
        c = self.conns[g.conn_idx]
        if c.disconnected:
            self.fail("connection %d already disconnected" % (g.conn_idx + 1))
            return False
        self.found = [False] * len(g.untagged)
        self.maybes = [(0, None)] * len(g.untagged)
        self.mismatches = 0
        self.first_extra = None
        self.m.seqmap = list(range(1, len(c.uids) + 1))
        self.group_tag = None
        pending = {}
        try:
            for cmd in g.commands:
                tagstr = self.send_test_cmd(c, g, cmd, pending)
                if self.group_tag is None:
                    self.group_tag = tagstr
            self.wait_tagged(c, pending)
        except Disconnected:
            if g.have_bye and c.seen_bye:
                for cmd in g.commands:
                    if args_to_str(cmd.reply) != "":
                        self.fail("Command expected '%s' as tagged reply - only \"\" allowed "
                                  "when BYE happens" % args_to_str(cmd.reply))
                self.group_finished(g)
                return True
            if c.logout_sent and not pending:
                self.group_finished(g)
                return True
            self.fail("Unexpected disconnection")
            return False
        self.group_finished(g)
        return True

    def send_test_cmd(self, c, g, cmd, pending):
        line, err = self.m.expand_all(cmd.command)
        if err:
            self.fail(err)
            line = cmd.command
        low = line.lower()
        wire_cb = lambda c_, w, st, args: self.test_reply(c_, cmd, w, st, args)  # noqa: E731
        if low == "append":
            line, body = self.append_line(c, _quote(self.box), True)
            return self.send_wire(c, cmd, line, wire_cb, pending, body)
        if low.startswith("append ") and not _append_has_body(line[7:], False):
            line, body = self.append_line(c, line[7:], False)
            return self.send_wire(c, cmd, line, wire_cb, pending, body)
        for pfx in ("replace ", "uid replace "):
            if low.startswith(pfx) and not _append_has_body(line[len(pfx):], True):
                date, body = self.source.next()
                line = "%s {%d}" % (line, len(body))
                return self.send_wire(c, cmd, line, wire_cb, pending, body)
        if cmd.linenum == 0 or low == "logout" or g.have_bye:
            c.logout_sent = True
        return self.send_wire(c, cmd, line, wire_cb, pending, None)

    def send_wire(self, c, cmd, line, cb, pending, body):
        cmd.expect_bad = cmd.reply is not None and cmd.reply and \
            (get_atom(cmd.reply[0]) or "").lower() == "bad"
        return self.send_cmd(c, line, cb, pending, body)

    def test_reply(self, c, cmd, wire, status, args):
        if status == "BAD" and not cmd.expect_bad:
            self.fail("BAD reply for command: %s" % args_to_str(args)[:300])
        self.m.variables["tag"] = wire.tagstr
        n = self.m.match_args(cmd.reply, args, prefix=True)
        self.m.variables.pop("tag", None)
        if n != MATCH:
            self.fail("Expected tagged reply '%s', got '%s'"
                      % (args_to_str(cmd.reply), args_to_str(args)[:300]))

    def match_untagged(self, c, args):
        g = self.group
        if not g.untagged and (self.test.ignore_extra_untagged or c.logout_sent):
            return
        prefix = (get_atom(args[0]) or "").lower() in ("ok", "no", "bad", "bye") \
            if args else False
        self.m.added = []
        found_some = False
        for i, ut in enumerate(g.untagged):
            if self.found[i]:
                continue
            if self.group_tag is not None:
                self.m.variables["tag"] = self.group_tag
            n = self.m.match_args(ut.args, args, prefix=prefix)
            if self.group_tag is not None:
                self.m.variables.pop("tag", None)
            if n == MATCH:
                if ut.existence == "!":
                    self.fail("Unexpected untagged match:\nMatch: %s\nReply: %s"
                              % (args_to_str(ut.args), args_to_str(args)[:500]))
                    return
                self.found[i] = True
                found_some = True
                self.m.added = []
                if g.ordered:
                    break
                continue
            if self.maybes[i][0] < n:
                self.maybes[i] = (n, args_to_str(args)[:500])
            self.m.revert_added()
            if g.ordered and ut.existence == "*":
                break
        if not found_some:
            self.mismatches += 1
            if not self.test.ignore_extra_untagged and self.first_extra is None:
                self.first_extra = args_to_str(args)[:500]

    def group_finished(self, g):
        missing = [i for i, ut in enumerate(g.untagged)
                   if ut.existence == "*" and not self.found[i]]
        if missing:
            ut = g.untagged[missing[0]]
            unexp = args_to_str(ut.args)
            exp, _ = self.m.expand_all(unexp, skip_uninitialized=True)
            self.fail("Missing %d untagged replies (%d mismatches)\n"
                      " - first unexpanded: %s\n - first expanded: %s\n - best match: %s"
                      % (len(missing), self.mismatches, unexp, exp,
                         self.maybes[missing[0]][1] or ""))
        if self.first_extra is not None:
            self.fail("%d unexpected untagged replies received, first: %s"
                      % (self.mismatches, self.first_extra))
        for line in g.output:
            print(self.m.expand_all(line)[0])
        if g.sleep_ms:
            time.sleep(g.sleep_ms / 1000.0)
        for err in self.m.errors:
            self.fail(err)
        self.m.errors = []

    # -- whole test --------------------------------------------------------------------------
    def run(self):
        try:
            try:
                self.startup()
                self.run_groups()
            except Disconnected as e:
                self.fail("Unexpected disconnection (%s)" % e)
            except _Abort as e:
                if not self.result.failures or str(e) not in self.result.failures[-1]:
                    self.fail(str(e))
            except _Skip as e:
                self.result.status = "skip"
                self.result.reason = str(e)
        finally:
            for c in self.conns:
                c.close()
        return self.result


class _Wire:
    def __init__(self, line, callback):
        self.line = line
        self.callback = callback
        self.tagstr = None


def _init_check(c, cmd, status, args):
    if status != "OK":
        raise _Abort("%s failed: %s" % (cmd.line[:200], args_to_str(args)))


def _ignore_no(c, cmd, status, args):
    if status == "BAD":
        raise _Abort("%s failed: %s" % (cmd.line[:200], args_to_str(args)))


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _split_literals(data, literal_plus):
    """Cut a command at its literals (command_get_cmdline): [(text, wait_for_continuation)].
    With LITERAL+ every literal becomes non-synchronizing and nothing waits."""
    import re
    out = []
    cur = ""
    pos = 0
    lit = re.compile(r" (~?)\{(\d+)(\+?)\}\r?\n")
    while True:
        nl = data.find("\n", pos)
        if nl < 0:
            cur += data[pos:]
            break
        seg = data[pos:nl + 1]
        m = None
        for m in lit.finditer(seg):
            pass
        if m is None or m.end() != len(seg):
            cur += seg
            pos = nl + 1
            continue
        size = int(m.group(2))
        plus = m.group(3) == "+" or literal_plus
        cur += seg[:m.start()] + " %s{%d%s}\r\n" % (m.group(1), size, "+" if plus else "")
        if not plus:
            out.append((cur, True))
            cur = ""
        pos = nl + 1
        cur += data[pos:pos + size]
        pos += size
    out.append((cur, False))
    return out


def _append_has_body(s, replace):
    args = parse_args(s)
    i = 0
    if not args:
        return False
    if replace:
        i += 1
    if i >= len(args):
        return False

    def at(k):
        return args[k] if k < len(args) else None
    if at(i + 1) is not None and at(i + 1).type == LIST:
        i += 1
    if at(i + 1) is not None and at(i + 1).type == STRING:
        i += 1
    a = at(i + 1)
    return a is not None and (a.type == LITERAL or
                              (get_atom(a) or "").lower() == "catenate")


def run_test(host, port, user, password, test_path, tls=False, timeout=10.0):
    """Run one scripted test file against host:port; returns a TestResult."""
    try:
        ex = Executor(host, port, user, password, test_path, tls=tls, timeout=timeout)
    except ParseError as e:
        r = TestResult(os.path.basename(test_path))
        r.status = "fail"
        r.reason = "script parse error: %s" % e
        r.failures.append(r.reason)
        return r
    try:
        return ex.run()
    except OSError as e:
        r = ex.result
        r.status = "fail"
        r.reason = "connection failed: %s" % e
        r.failures.append(r.reason)
        return r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=143)
    ap.add_argument("--user", required=True)
    ap.add_argument("--pass", dest="password", required=True)
    ap.add_argument("--tls", action="store_true", help="implicit TLS")
    ap.add_argument("--tests", default=tests_dir(), help="test directory")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--test", action="append", help="group name (repeatable)")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="print warnings too")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.tests):
        print("imaptest tests not found at %s (set IMAPTEST_TESTS)" % a.tests)
        return 2
    names = list_tests(a.tests) if a.all or not a.test else a.test
    counts = {"pass": 0, "fail": 0, "skip": 0}
    start = time.monotonic()
    for name in names:
        t0 = time.monotonic()
        r = run_test(a.host, a.port, a.user, a.password, os.path.join(a.tests, name),
                     tls=a.tls, timeout=a.timeout)
        counts[r.status] += 1
        line = "%-36s %s (%.2fs)" % (name, r.status.upper(), time.monotonic() - t0)
        if r.status == "skip":
            line += "  " + r.reason
        print(line)
        if r.status == "fail":
            for f in r.failures:
                print("    " + f.replace("\n", "\n    "))
        if a.verbose:
            for w in r.warnings:
                print("    warning: " + w)
    print("%d test groups: %d passed, %d failed, %d skipped due to missing capabilities "
          "(%.1fs)" % (len(names), counts["pass"], counts["fail"], counts["skip"],
                       time.monotonic() - start))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())

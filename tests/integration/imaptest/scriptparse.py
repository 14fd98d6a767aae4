"""Parser of imaptest's scripted-test files (dovecot/imaptest src/test-parser.c semantics):
header lines, command groups (methods 1-3, per-connection prefixes, tagN pipelining),
expected untagged replies (* must, ! must not, ? may), {{{ }}} and ~{{{ }}} literal blocks,
!ordered, !sleep, !output, !ifenv/!ifnenv/!else/!endif, and the default list directives."""
import os
import re

from imapargs import ATOM, LIST, Arg, atom, get_atom, parse_args

MAX_CONNECTIONS = 100
STATES = ["nonauth", "auth", "created", "appended", "selected"]


class ParseError(Exception):
    pass


class Untagged:
    def __init__(self, args, existence):
        self.args = args
        self.existence = existence   # "*" must exist, "!" must not, "?" may


class Command:
    def __init__(self, linenum, command, reply, tag):
        self.linenum = linenum
        self.command = command
        self.reply = reply           # list of Arg, or None until the reply line is seen
        self.tag = tag               # tagN of the script, 0 if none
        self.cur_tag = None          # tag on the wire while pending


class Group:
    def __init__(self):
        self.commands = []
        self.untagged = []
        self.conn_idx = 0
        self.replies_pending = 0
        self.ordered = False
        self.sleep_ms = 0
        self.output = []
        self.have_bye = False


class Test:
    def __init__(self, path, mbox_path):
        self.path = path
        self.name = os.path.basename(path)
        self.mbox_path = mbox_path
        self.required_caps = None
        self.connection_count = 1
        self.message_count = 0        # None = all
        self.state = "selected"
        self.ignore_extra_untagged = True
        self.have_banner_check = False
        self.require_user2 = False
        self.usernames = {}
        self.groups = []


def _parse_header(test, line):
    if ":" not in line:
        raise ParseError("Missing ':'")
    key, value = line.split(":", 1)
    key = key.rstrip(" ").lower()
    value = value.lstrip(" ")
    if key == "capabilities":
        test.required_caps = value.split()
    elif key == "connections":
        n = int(value.split()[0]) if value.split() and value.split()[0].isdigit() else 0
        if n == 0 or n > MAX_CONNECTIONS:
            raise ParseError("Too many connections")
        test.connection_count = n
    elif key == "ignore_extra_untagged":
        test.ignore_extra_untagged = value[:1] == "y"
    elif key.startswith("user ") and key[5:].isdigit() and int(key[5:]) > 0:
        if value in ("$user2", "${user2}"):
            test.require_user2 = True
        test.usernames[int(key[5:])] = value
    elif key == "messages":
        test.message_count = None if value == "all" else \
            int(re.match(r"\d*", value).group() or 0)
    elif key == "state":
        if value.lower() not in STATES:
            raise ParseError("Unknown state value")
        test.state = value.lower()
    else:
        raise ParseError("Unknown setting")


# -- default list directives (test_add_default_directives) ---------------------------------
class _DirCtx:
    def __init__(self, reply_name, parent=None, prev_atom=None, parent_chain_idx=0):
        self.reply_name = reply_name
        self.parent = parent
        self.prev_atom = prev_atom
        self.parent_chain_idx = parent_chain_idx
        self.chain_count = 1
        self.directives = False


def _parse_directives(ctx, args):
    for a in args:
        s = get_atom(a)
        if s is None or not s.startswith("$!"):
            break
        s = s[2:]
        if s.startswith("unordered"):
            if s[9:] == "":
                pass
            elif s[9] == "=" and s[10:].isdigit():
                ctx.chain_count = int(s[10:])
            else:
                raise ParseError("Broken $!unordered directive")
        elif s in ("ordered", "noextra", "extra") or s.startswith("ignore=") or \
                s.startswith("ban="):
            pass
        else:
            raise ParseError("Unknown directive: " + s)
        ctx.directives = True


def _add_defaults(ctx, args):
    p = ctx.parent
    if p is None:
        return
    name = ctx.reply_name
    if name in ("list", "lsub"):
        if p.parent is None and p.parent_chain_idx == 0 and ctx.parent_chain_idx == 1:
            args.insert(0, atom("$!unordered"))
    elif name == "status":
        if p.parent is None and p.parent_chain_idx == 0 and ctx.parent_chain_idx == 2:
            args.insert(0, atom("$!unordered=2"))
    elif name == "fetch":
        if p.parent is None and p.parent_chain_idx == 0 and ctx.parent_chain_idx == 2:
            args.insert(0, atom("$!unordered=2"))
        elif p.parent is not None and p.parent.parent is None and \
                p.parent.parent_chain_idx == 0 and p.parent_chain_idx == 2 and \
                ctx.prev_atom == "flags":
            for d in ("$!unordered", "$!noextra", "$!ignore=\\recent",
                      "$!ignore=$HasAttachment", "$!ignore=$HasNoAttachment"):
                args.insert(0, atom(d))


def _handle_directives(ctx, args):
    _parse_directives(ctx, args)
    if not ctx.directives:
        _add_defaults(ctx, args)
    ndir = 0
    for a in args:
        s = get_atom(a)
        if s is None or not s.startswith("$!"):
            break
        ndir += 1
    if (len(args) - ndir) % ctx.chain_count != 0:
        raise ParseError("Invalid list argument count, chain size=%u" % ctx.chain_count)
    prev_atom = None
    for i, a in enumerate(args):
        s = get_atom(a)
        if s is not None:
            prev_atom = s.lower()
        if a.type != LIST:
            continue
        sub = _DirCtx(ctx.reply_name.lower(), ctx, prev_atom,
                      i if ctx.chain_count == 1 else i % ctx.chain_count)
        _handle_directives(sub, a.val)


def parse_untagged(line, existence):
    args = parse_args(line)
    name = ""
    s = get_atom(args[0]) if args else None
    if s is not None:
        name = s
        if s[:1] == "$" or s[:1].isdigit():
            name = get_atom(args[1]) if len(args) > 1 and get_atom(args[1]) else ""
    _handle_directives(_DirCtx(name), args)
    return Untagged(args, existence), name


# -- command lines -------------------------------------------------------------------------
REPLY_OK, REPLY_NO, REPLY_BAD, REPLY_ANY = "ok", "no", "bad", ""


def _get_cmd_reply(line):
    """"[tagN] ok|no|bad|\"\" rest" -> (reply word or None, tag, rest)"""
    tag = 0
    arg = line.split(" ", 1)[0]
    if arg[:3].lower() == "tag" and " " in line and arg[3:].isdigit() and int(arg[3:]) > 0:
        tag = int(arg[3:])
        line = line.split(" ", 1)[1]
        arg = line.split(" ", 1)[0]
    low = arg.lower()
    reply = None
    if low in ("ok", "no", "bad"):
        reply = low
        line = line[len(low):]
    elif arg == '""':
        reply = REPLY_ANY
        line = line[2:]
    if reply is not None and line[:1] == " ":
        line = line[1:]
    return reply, tag, line


def _reply_args(word):
    return [Arg(ATOM, word)]


class _Parser:
    def __init__(self, test):
        self.test = test
        self.group = None
        self.ifenv = []    # (linenum, else_seen, skip)
        self.skip = False

    def command_line(self, linenum, line):
        test = self.test
        for kw, neg in (("!ifenv ", False), ("!ifnenv ", True)):
            if line.startswith(kw):
                have_env = os.environ.get(line[len(kw):]) is None
                if neg:
                    have_env = not have_env
                self.ifenv.append([linenum, False, self.skip])
                if have_env:
                    self.skip = True
                return
        if line == "!else":
            if not self.ifenv:
                raise ParseError("!else without !ifenv")
            if self.ifenv[-1][1]:
                raise ParseError("!else already seen")
            self.ifenv[-1][1] = True
            if not self.ifenv[-1][2]:
                self.skip = not self.skip
            return
        if line == "!endif":
            if not self.ifenv:
                raise ParseError("!endif without !ifenv")
            self.skip = self.ifenv.pop()[2]
            return
        if self.skip:
            return
        group = self.group
        if group is not None:
            if line.startswith("!sleep "):
                v = line[7:].strip()
                group.sleep_ms = int(v[:-2]) if v.endswith("ms") else \
                    int(float(v.rstrip("s")) * 1000)
                return
            if line.startswith("!output "):
                group.output.append(line[8:])
                return
            if line == "!ordered":
                group.ordered = True
                return
            if line[:2] in ("* ", "! ", "? "):
                self.add_untagged(line[2:], line[0])
                return
            if group.replies_pending > 0:
                rest = line
                conn = 0
                first = line.split(" ", 1)[0]
                if test.connection_count > 1 and first.isdigit() and int(first) > 0:
                    conn = int(first)
                    rest = line.split(" ", 1)[1] if " " in line else ""
                reply, tag, _ = _get_cmd_reply(rest)
                if reply is not None:
                    # (imaptest of 2022 accepted a reply without the connection prefix)
                    if conn and conn - 1 != group.conn_idx:
                        raise ParseError("Reply for wrong connection")
                    self.finish_command(tag, rest)
                    return
        if group is None or group.replies_pending == 0:
            group = self.group = Group()
            test.groups.append(group)
        if test.connection_count > 1:
            first = line.split(" ", 1)[0]
            if not first.isdigit() or int(first) == 0:
                raise ParseError("Missing client index")
            idx = int(first)
            if idx > MAX_CONNECTIONS:
                raise ParseError("Too many connections")
            if group.commands and group.conn_idx != idx - 1:
                raise ParseError("All pipelined commands must use the same connection")
            group.conn_idx = idx - 1
            test.connection_count = max(test.connection_count, idx)
            line = line.split(" ", 1)[1] if " " in line else ""
        reply, tag, line = _get_cmd_reply(line)
        if tag == 0:
            if group.replies_pending > 0:
                raise ParseError("Missing reply from previous command group")
        elif any(c.tag == tag for c in group.commands):
            raise ParseError("Tag reused within command group")
        if not group.commands and line[:2] in ("* ", "! ", "? "):
            test.have_banner_check = True
            self.add_untagged(line[2:], line[0])
            return
        if reply is None:
            group.replies_pending += 1
        group.commands.append(Command(linenum, line,
                                      None if reply is None else _reply_args(reply), tag))

    def add_untagged(self, line, existence):
        ut, name = parse_untagged(line, existence)
        if name[:3].lower() == "bye":
            if existence == "*":
                self.group.have_bye = True
            elif existence == "?":
                raise ParseError("? BYE not currently supported")
        self.group.untagged.append(ut)

    def finish_command(self, tag, line):
        cmd = next((c for c in self.group.commands if c.tag == tag), None)
        if cmd is None:
            raise ParseError("Reply for unknown tag")
        if cmd.reply is not None:
            raise ParseError("Command already has a reply")
        args = parse_args(line)
        cmd.reply = args[1:] if tag else args
        self.group.replies_pending -= 1


def _literal_prefix(text, binary, size):
    return "%s{%d}\r\n" % ("~" if binary else "", size)


def parse_test(path, default_mbox):
    mbox = path + ".mbox"
    test = Test(path, mbox if os.path.exists(mbox) else default_mbox)
    with open(path, "rb") as f:
        data = f.read().decode("latin-1")
    if data and not data.endswith("\n"):
        raise ParseError("%s: Last line doesn't end with LF" % path)
    lines = data.split("\n")[:-1]
    p = _Parser(test)
    header = True
    continues = False
    binary = False
    multiline = ""
    start_pos = last_line_end = 0
    start_linenum = 0
    for linenum, line in enumerate(lines, 1):
        if continues:
            if not line.startswith("}}}"):
                multiline += line
                last_line_end = len(multiline)
                multiline += "\n" if binary else "\r\n"
                continue
            multiline = multiline[:last_line_end]
            line = line[3:]
            multiline = multiline[:start_pos] + _literal_prefix(
                multiline, binary, len(multiline) - start_pos) + multiline[start_pos:]
            if line.endswith("{{{"):
                n = len(line)
                binary = n > 3 and line[n - 4] == "~"
                multiline += line[:n - 3 - (1 if binary else 0)]
                start_pos = last_line_end = len(multiline)
                continue
            line = multiline + line
            continues = False
        else:
            start_linenum = linenum
            if line == "":
                header = False
                continue
            if line.startswith("#"):
                continue
            if line.endswith("{{{"):
                n = len(line)
                binary = n > 3 and line[n - 4] == "~"
                multiline = line[:n - 3 - (1 if binary else 0)]
                start_pos = last_line_end = len(multiline)
                continues = True
                continue
        try:
            if header:
                _parse_header(test, line)
            else:
                p.command_line(start_linenum, line)
        except (ParseError, ValueError, IndexError) as e:
            raise ParseError("%s line %d: %s" % (path, linenum, e))
    if continues:
        raise ParseError("%s: Multiline reply at line %d not ended" % (path, start_linenum))
    if p.group is None:
        raise ParseError("%s: No commands in file" % path)
    if p.group.replies_pending > 0:
        raise ParseError("%s: Missing reply from previous command" % path)
    if p.ifenv:
        raise ParseError("%s: !ifenv at line %d not closed with !endif" % (path, p.ifenv[0][0]))
    _add_logout(test)
    return test


def _add_logout(test):
    for g in test.groups:
        for c in g.commands:
            if c.command.lower() == "logout" or g.have_bye:
                return
    g = Group()
    g.commands.append(Command(0, "logout", _reply_args(REPLY_OK), 0))
    test.groups.append(g)


def list_tests(tests_dir):
    """Test names of a directory: every file not starting with '.', not *.mbox, sorted;
    subdirectories are skipped (imaptest does so too)."""
    names = []
    for n in sorted(os.listdir(tests_dir)):
        if n.startswith(".") or n.endswith(".mbox"):
            continue
        if os.path.isdir(os.path.join(tests_dir, n)):
            continue
        names.append(n)
    return names

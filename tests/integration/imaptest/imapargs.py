"""IMAP argument lists for the imaptest runner: a lenient tokenizer that parses server responses
and script lines the way imaptest's (Dovecot's) IMAP parser does with ATOM_ALLCHARS, and the
helpers that read them back (astring, rendering for failure reports).

Strings are Python str holding bytes 1:1 (latin-1), so binary literals survive unchanged."""
import re

ATOM, STRING, LITERAL, NIL, LIST = "atom", "string", "literal", "nil", "list"

_LITERAL_RE = re.compile(r"~?\{(\d+)\+?\}\r?\n")


class Arg:
    __slots__ = ("type", "val")

    def __init__(self, type_, val=None):
        self.type = type_
        self.val = val

    def __repr__(self):
        return args_to_str([self])


def atom(s):
    return Arg(ATOM, s)


def parse_args(s):
    """Parse one IMAP line (literals inline as "{N}\\r\\n" + N bytes) into a list of Arg.
    Like Dovecot's parser with ATOM_ALLCHARS: an atom ends at SP/CR/LF, or at ')' inside a
    list; "NIL" is NIL; "[" has no meaning (BODY[HEADER.FIELDS (A)] is atom, list, atom "]").
    Unclosed lists/quotes at the end of the line are closed silently (lenient for resp-text)."""
    stack = [[]]
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c in " \r\n":
            i += 1
            continue
        if c == "(":
            new = []
            stack[-1].append(Arg(LIST, new))
            stack.append(new)
            i += 1
            continue
        if c == ")" and len(stack) > 1:
            stack.pop()
            i += 1
            continue
        if c == '"':
            j = i + 1
            buf = []
            while j < n and s[j] != '"':
                if s[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(s[j])
                j += 1
            stack[-1].append(Arg(STRING, "".join(buf)))
            i = j + 1
            continue
        if c == "{" or (c == "~" and s[i + 1:i + 2] == "{"):
            m = _LITERAL_RE.match(s, i)
            if m:
                size = int(m.group(1))
                start = m.end()
                stack[-1].append(Arg(LITERAL, s[start:start + size]))
                i = start + size
                continue
        j = i
        while j < n and s[j] not in " \r\n":
            if s[j] == ")" and len(stack) > 1:
                break
            j += 1
        if j == i:
            j = i + 1
        tok = s[i:j]
        stack[-1].append(Arg(NIL) if tok.upper() == "NIL" else Arg(ATOM, tok))
        i = j
    return stack[0]


def get_astring(arg):
    """imap_arg_get_astring: atom, string or literal as a C string (cut at NUL), else None."""
    if arg is None or arg.type not in (ATOM, STRING, LITERAL):
        return None
    return arg.val.split("\0", 1)[0]


def get_atom(arg):
    if arg is None or arg.type != ATOM:
        return None
    return arg.val


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def args_to_str(args, limit=300):
    out = []
    for a in args:
        if a.type == ATOM:
            out.append(a.val)
        elif a.type == NIL:
            out.append("NIL")
        elif a.type == STRING:
            out.append(_quote(a.val))
        elif a.type == LITERAL:
            v = a.val if len(a.val) <= limit else a.val[:limit] + "..."
            out.append("{%d}%s" % (len(a.val), _quote(v).replace("\r", "\\r")
                                   .replace("\n", "\\n")))
        else:
            out.append("(" + args_to_str(a.val, limit) + ")")
    return " ".join(out)

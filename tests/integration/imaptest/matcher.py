"""Matching of expected IMAP replies against received ones, as imaptest's test-exec.c does:
$variables bind on first use and must then match (case-sensitively for the bound value),
"$" matches anything (also a list), "$]" skips to the atom holding "]", $N expands to the
current sequence of the group's initial sequence N, ${case:x} forces case-sensitive compare,
optionally $modseqN must grow by the index gap (off: see modseq_rule), and the $! list directives (unordered[=n],
ordered, extra, noextra, ignore=, ban=)."""
import re

from imapargs import ATOM, LIST, LITERAL, NIL, STRING, get_astring, get_atom

MATCH = 1 << 32        # "everything matched" (UINT_MAX in imaptest)
_VAR_CHAR = re.compile(r"[A-Za-z0-9_]*")


class Matcher:
    def __init__(self):
        self.variables = {}
        self.added = []            # variables bound during the current attempt
        self.seqmap = []           # initial seq -> current seq (0 = expunged)
        self.highest_modseq_idx = 0
        self.highest_modseq_value = 0
        self.errors = []           # script errors (modseq order)
        # later imaptest versions check "$modseqN" ordering; the imaptest the test files
        # come from (2022-03) binds them as plain variables (esearch-condstore relies on it)
        self.modseq_rule = False

    # -- $N relative sequences ---------------------------------------------------------
    def relative_seq(self, seq):
        if seq == 0:
            return "<zero seq>"
        if seq > len(self.seqmap):
            return "<out of range>"
        if self.seqmap[seq - 1] == 0:
            return "<expunged>"
        return str(self.seqmap[seq - 1])

    def handle_expunge(self, seq):
        if seq > len(self.seqmap):
            return
        for i in range(seq - 1, len(self.seqmap)):
            if self.seqmap[i] >= seq:
                if self.seqmap[i] == seq:
                    self.seqmap[i] = 0
                else:
                    self.seqmap[i] -= 1

    # -- command expansion (test_expand_all) ---------------------------------------------
    def expand_all(self, line, skip_uninitialized=False):
        """Returns (expanded, error)."""
        out = []
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c != "$" or i + 1 == n:
                out.append(c)
                i += 1
                continue
            i += 1
            if line[i] == "$":
                out.append("$")
                i += 1
            elif line[i] == "!":
                # skip directives
                while i + 1 < n and line[i + 1] != " ":
                    i += 1
                i += 1
            else:
                if line[i] == "{":
                    end = line.find("}", i + 1)
                    if end < 0:
                        return None, "Missing '}'"
                    name = line[i + 1:end]
                    i = end + 1
                else:
                    name = _VAR_CHAR.match(line, i).group()
                    i += len(name)
                if name.isdigit():
                    value = self.relative_seq(int(name))
                else:
                    value = self.variables.get(name)
                    if value is None:
                        if not skip_uninitialized:
                            return None, "Uninitialized variable: %s" % name
                        value = "$"
                out.append(value)
        return "".join(out), None

    # -- one string against server input (test_expand_input) -----------------------------
    def _modseq(self, idx, value):
        if not value.isdigit():
            return "$modseq-not-number"
        v = int(value)
        if self.highest_modseq_idx > idx:
            self.errors.append("Modseqs defined in wrong order: $modseq%d followed by "
                               "$modseq%d" % (self.highest_modseq_idx, idx))
            return "$modseq-order-mismatch"
        at_least = self.highest_modseq_value + (idx - self.highest_modseq_idx)
        ret = value
        if v < at_least:
            ret = "$modseq-at-least-%d" % at_least
            v = at_least
        self.highest_modseq_idx = idx
        self.highest_modseq_value = v
        return ret

    def expand_input(self, s, inp):
        """Returns (output or None on mismatch, icase)."""
        icase = True
        out = []
        i, j = 0, 0
        n = len(s)
        while i < n:
            if s[i] != "$" or s[i + 1:i + 2] == "$":
                if s[i] == "$":
                    i += 1
                ic = inp[j] if j < len(inp) else "\0"
                if s[i].upper() != ic.upper():
                    return None, icase
                j += 1
                out.append(s[i])
                i += 1
                continue
            i += 1
            if i < n and s[i] == "{":
                end = s.find("}", i + 1)
                if end < 0:
                    return "", icase
                name = s[i + 1:end]
                i = end + 1
            else:
                name = _VAR_CHAR.match(s, i).group()
                i += len(name)
            if name.isdigit() and name:
                value = self.relative_seq(int(name))
            elif name.startswith("case:"):
                icase = False
                value = name[5:]
            else:
                value = self.variables.get(name) if name else None
                if value is None:
                    rest = s[i:]
                    sub_icase = True
                    if rest[:1] == "$":
                        tmp, sub_icase = self.expand_input(rest, inp[j:])
                        if tmp is None:
                            return None, icase
                    else:
                        tmp = rest
                    stop = tmp[:1]
                    p = j
                    if stop == "":
                        p = len(inp)
                    elif sub_icase:
                        su = stop.upper()
                        while p < len(inp) and inp[p].upper() != su:
                            p += 1
                    else:
                        while p < len(inp) and inp[p] != stop:
                            p += 1
                    m = re.fullmatch(r"modseq(\d+)", name) if self.modseq_rule else None
                    if name == "":
                        value = inp[j:p]
                    elif m:
                        value = self._modseq(int(m.group(1)), inp[j:p])
                        self.variables[name] = value
                    else:
                        value = inp[j:p]
                        self.variables[name] = value
                        self.added.append(name)
            out.append(value)
            if inp[j:j + len(value)] != value:
                return None, icase
            j += len(value)
        return "".join(out), icase

    # -- argument lists --------------------------------------------------------------------
    def match_args(self, match, args, max_=None, prefix=False):
        """Number of matched args, MATCH if all matched (test_imap_match_args)."""
        ret = 0
        mi = ai = 0
        if max_ is None:
            max_ = MATCH
        while mi < len(match) and max_ > 0:
            m = match[mi]
            a = args[ai] if ai < len(args) else None
            if m.type == NIL:
                if a is None or a.type != NIL:
                    return ret
            elif m.type in (ATOM, STRING, LITERAL):
                mval = m.val.split("\0", 1)[0]
                if mval == "$" and a is not None and a.type == LIST:
                    pass
                elif mval == "$]":
                    while True:
                        s = get_atom(args[ai] if ai < len(args) else None)
                        if s is None or "]" in s:
                            break
                        ai += 1
                else:
                    astr = get_astring(a)
                    if astr is None:
                        return ret
                    mstr, icase = self.expand_input(mval, astr)
                    if mstr is None:
                        return ret
                    if prefix and mi + 1 == len(match):
                        got = astr[:len(mstr)]
                    else:
                        got = astr
                    if icase:
                        if got.lower() != mstr.lower():
                            return ret
                    elif got != mstr:
                        return ret
            elif m.type == LIST:
                if a is None or a.type != LIST:
                    return ret
                sub = self.match_list(m.val, a.val)
                if sub != MATCH:
                    return ret + sub
            mi += 1
            ai += 1
            max_ -= 1
            ret += 1
        if prefix or ai >= len(args) or max_ == 0:
            return MATCH
        return ret

    def match_list(self, match, args):
        unordered = False
        chain = 1
        ignores, bans = [], []
        noextra = -1
        k = 0
        while k < len(match):
            s = get_atom(match[k])
            if s is None or not s.startswith("$!"):
                break
            s = s[2:]
            if s.startswith("unordered"):
                unordered = True
                if noextra == -1:
                    noextra = 0
                if s[9:10] == "=":
                    chain = int(s[10:])
            elif s == "ordered":
                unordered = False
            elif s == "extra":
                noextra = 0
            elif s == "noextra":
                noextra = 1
            elif s.startswith("ignore="):
                ignores.append(s[7:])
            elif s.startswith("ban="):
                bans.append(s[4:])
            k += 1
        match = match[k:]
        if noextra == -1:
            noextra = 1
        if not unordered:
            return self.match_args(match, args)
        if len(args) % chain != 0:
            return 0
        matched = [False] * len(args)
        ret = 0
        for mi in range(0, len(match), chain):
            found = False
            for i in range(0, len(args), chain):
                if self.match_args(match[mi:mi + chain], args[i:], chain) == MATCH:
                    matched[i] = True
                    found = True
                    break
            if not found:
                return ret
            ret += 1
        check = None
        if noextra > 0:
            check = lambda s: any(s.lower() == x.lower() for x in ignores)   # noqa: E731
        elif bans:
            check = lambda s: not any(s.lower() == x.lower() for x in bans)  # noqa: E731
        if check is not None:
            for i in range(0, len(args), chain):
                if matched[i]:
                    continue
                s = get_astring(args[i])
                if s is None:
                    continue
                if not check(s):
                    return ret
        return MATCH

    def revert_added(self):
        for name in self.added:
            self.variables.pop(name, None)
        self.added = []
